// Handlers read their configuration at module load, as in Lambda.
process.env.LAKE_BUCKET = 'test-lake';
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = 'test';
process.env.AWS_SECRET_ACCESS_KEY = 'test';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.FEATURE_TABLE = 'test-features';
process.env.SESSION_TTL_SECONDS = '172800';
process.env.LEDGER_TABLE = 'test-ledger';
process.env.CODE_VERSION = '0.0.0+test';
process.env.RECOMMENDATIONS_TABLE = 'test-recommendations';
