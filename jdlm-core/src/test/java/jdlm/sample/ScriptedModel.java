package jdlm.sample;

/** A {@link DenoisingModel} whose logits are written by hand: row by row, from the row's tokens. */
final class ScriptedModel implements DenoisingModel {

    /** Fills {@code out[0, vocab)} with the logits of position {@code pos} of {@code row}. */
    @FunctionalInterface
    interface Script {
        void logits(int[] row, int pos, float[] out);
    }

    private final int vocab, context;
    private final Script script;
    int calls;

    ScriptedModel(int vocab, int context, Script script) {
        this.vocab = vocab;
        this.context = context;
        this.script = script;
    }

    @Override public float[] logits(int[] canvas, int batch, int length) {
        calls++;
        float[] out = new float[batch * length * vocab];
        float[] row = new float[vocab];
        for (int b = 0; b < batch; b++) {
            int[] tokens = java.util.Arrays.copyOfRange(canvas, b * length, (b + 1) * length);
            for (int t = 0; t < length; t++) {
                java.util.Arrays.fill(row, 0f);
                script.logits(tokens, t, row);
                System.arraycopy(row, 0, out, (b * length + t) * vocab, vocab);
            }
        }
        return out;
    }

    @Override public int vocabSize() { return vocab; }
    @Override public int contextLength() { return context; }
}
