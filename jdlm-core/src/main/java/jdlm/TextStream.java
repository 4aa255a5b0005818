package jdlm;

import java.util.function.Consumer;

import jdlm.sample.StepEvent;
import jdlm.sample.StepListener;
import jdlm.tokenizer.Tokenizer;

/**
 * An answer's text as it becomes final during a generation, in pieces: after each step, the
 * committed prefix of the answer (its tokens up to the first MASK or EOS) is decoded, and what it
 * adds to the text already handed out goes to the consumer. A piece is held back while it ends in
 * an incomplete UTF-8 character, and while the prefix no longer extends what was handed out (a
 * remasked token); {@link #finish} hands out the rest of the final answer. A uniform-diffusion
 * model may change any position at any step, so its text comes whole at the last step.
 */
public final class TextStream implements StepListener {
    private final Tokenizer tokenizer;
    private final int offset;
    private final boolean wholeAtTheEnd;
    private final Consumer<String> pieces;
    private final StringBuilder sent = new StringBuilder();

    /**
     * @param offset        where the answer starts in the step events' canvases
     * @param wholeAtTheEnd nothing before the last step (uniform diffusion)
     */
    public TextStream(Tokenizer tokenizer, int offset, boolean wholeAtTheEnd, Consumer<String> pieces) {
        this.tokenizer = tokenizer;
        this.offset = offset;
        this.wholeAtTheEnd = wholeAtTheEnd;
        this.pieces = pieces;
    }

    @Override
    public void onStep(StepEvent e) {
        if (wholeAtTheEnd && !e.finished()) return;
        int[] canvas = e.canvas();
        int end = offset;
        while (end < canvas.length && canvas[end] != tokenizer.maskId() && canvas[end] != tokenizer.eosId()) end++;
        String prefix = tokenizer.decode(canvas, offset, end);
        if (!prefix.endsWith("\uFFFD")) hand(prefix);
    }

    /** Hands out what the final answer adds to the pieces so far, and returns the answer's text. */
    public String finish(int[] answer) {
        String text = tokenizer.decode(answer);
        hand(text);
        return text;
    }

    private void hand(String text) {
        if (text.length() > sent.length() && text.startsWith(sent.toString())) {
            pieces.accept(text.substring(sent.length()));
            sent.setLength(0);
            sent.append(text);
        }
    }
}
