/**
 * Evaluation metrics ported from the Python scripts the papers report, checked against them: corpus BLEU as
 * sacreBLEU computes it ({@link ai.sara4j.core.metrics.Bleu} with the {@link ai.sara4j.core.metrics.Tokenizer13a}
 * tokenizer), ROUGE-L as the E2E NLG challenge reports it ({@link ai.sara4j.core.metrics.RougeL}), NIST as nltk's
 * {@code corpus_nist} computes it ({@link ai.sara4j.core.metrics.Nist}), the challenge's CIDEr-D
 * ({@link ai.sara4j.core.metrics.Cider}), and the answer
 * extraction and scoring of LLM-Adapters' math and commonsense evaluations
 * ({@link ai.sara4j.core.metrics.AnswerScorer}).
 */
package ai.sara4j.core.metrics;
