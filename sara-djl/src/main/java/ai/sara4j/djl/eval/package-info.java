/**
 * Evaluation of a model (with or without an adapter) on a test set, as the SARA paper's tables report it:
 * {@link ai.sara4j.djl.eval.Evaluator} generates greedily and scores math and commonsense accuracy with
 * LLM-Adapters' answer extraction, or E2E BLEU and ROUGE-L, and writes an {@link ai.sara4j.djl.eval.EvalReport}
 * with every prediction.
 */
package ai.sara4j.djl.eval;
