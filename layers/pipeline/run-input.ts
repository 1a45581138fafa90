import { z } from 'zod';
import { ImplicitWeightsSchema } from '../features/builders';

/** The execution input document (console or `recomart run-pipeline --input`), validated here first. */
export const RUN_ID = /^[A-Za-z0-9_.-]{1,80}$/;

export const RunInputSchema = z
  .object({
    runId: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,80}$/, 'runId must be 1–80 letters, digits, dots, dashes or underscores')
      .optional(),
    /** ALS hyper-parameters for this run: a given one is fixed, the others are tuned on the data. */
    params: z
      .strictObject({
        implicit: z.boolean().optional(),
        rank: z.number().int().min(1).max(256).optional(),
        iterations: z.number().int().min(1).max(100).optional(),
        lambda: z.number().positive().optional(),
        alpha: z.number().positive().optional(),
        seed: z.number().int().min(0).optional(),
        /** Seconds the hyper-parameter search may spend (the trainer's default otherwise). */
        budgetSeconds: z.number().positive().max(3600).optional(),
      })
      .optional(),
    /** Gate thresholds can only be tightened per run, never loosened below the stage's. */
    minPrecisionAt10: z.number().min(0).max(1).optional(),
    /** Implicit-confidence weights of the interaction matrix for this run's feature build (the stage's otherwise). */
    weights: ImplicitWeightsSchema.optional(),
    /** Recommendations to publish per user for this run (the stage's `gate.topN` otherwise). */
    k: z.number().int().min(1).max(100).optional(),
    /** Train on this existing interactions feature version instead of building features. */
    featureVersion: z
      .string()
      .regex(/^\d{8}T\d{6}Z$/, 'featureVersion must look like 20261121T103000Z')
      .optional(),
    /** Build features from exactly these raw transactions / clickstream objects (each must have passed validation). */
    dataKeys: z
      .array(
        z
          .string()
          .regex(
            /^raw\/(transactions|clickstream)\/[^*?]+$/,
            'dataKeys must be raw/transactions/… or raw/clickstream/… keys',
          ),
      )
      .min(1)
      .max(1000)
      .optional(),
  })
  .loose()
  .refine((input) => !(input.featureVersion && input.dataKeys), {
    message: 'give featureVersion (train on existing features) or dataKeys (build them from these objects), not both',
  });

export type RunInput = z.infer<typeof RunInputSchema>;

/** One sentence for an invalid run input: where and what (the execution fails with it at CheckInputs). */
export function runInputProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  return `Run input is invalid at ${issue?.path.join('.') || 'the root'}: ${issue?.message ?? 'unknown problem'}`;
}
