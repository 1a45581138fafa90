jest.setTimeout(Number(process.env.RECOMART_TEST_TIMEOUT_MS ?? 120_000));
