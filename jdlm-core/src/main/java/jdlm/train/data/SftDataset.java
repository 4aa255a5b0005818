package jdlm.train.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jdlm.format.Json;
import jdlm.format.JsonException;
import jdlm.tokenizer.Tokenizer;
import jdlm.train.BatchSource;

/**
 * Supervised fine-tuning pairs for the LLaDA SFT recipe, from a JSON-lines file with one
 * {@code {"prompt": "...", "response": "..."}} object per line. Each pair becomes one row of
 * {@code seqLen} tokens: prompt, response, then EOS up to the end — the padding EOS tokens belong
 * to the answer (they are masked and scored), which is how the model learns where to stop. A
 * response too long for the row is cut; a prompt that leaves no room for an answer is an error.
 */
public final class SftDataset implements BatchSource {
    private final int seqLen;
    private final int[][] rows;
    private final int[] promptLengths;
    private final EpochOrder order;
    private final int truncated;

    private SftDataset(int seqLen, int[][] rows, int[] promptLengths, long seed, boolean shuffle, int truncated) {
        this.seqLen = seqLen;
        this.rows = rows;
        this.promptLengths = promptLengths;
        this.order = new EpochOrder(rows.length, seed, shuffle);
        this.truncated = truncated;
    }

    /** Reads and tokenises the whole file (SFT sets are small); every problem names the line. */
    public static SftDataset read(Path file, Tokenizer tok, int seqLen, long seed, boolean shuffle) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("SFT data " + file + " is not a file; expected JSON lines of {\"prompt\": ..., \"response\": ...}");
        List<int[]> rows = new ArrayList<>();
        List<Integer> prompts = new ArrayList<>();
        int truncated = 0, lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNo++;
            if (line.isBlank()) continue;
            Map<String, Object> obj;
            try {
                obj = Json.parseObject(line, 1 << 24);
            } catch (JsonException e) {
                throw new IllegalArgumentException(file + " line " + lineNo + ": not a JSON object: " + e.getMessage());
            }
            if (!(obj.get("prompt") instanceof String prompt) || !(obj.get("response") instanceof String response)) {
                throw new IllegalArgumentException(file + " line " + lineNo + ": expected string fields \"prompt\" and \"response\", found " + obj.keySet());
            }
            int[] p = tok.encode(prompt), r = tok.encode(response);
            if (p.length >= seqLen) {
                throw new IllegalArgumentException(file + " line " + lineNo + ": the prompt has " + p.length + " tokens, no room for an answer in --seq " + seqLen);
            }
            int[] row = new int[seqLen];
            java.util.Arrays.fill(row, tok.eosId());
            System.arraycopy(p, 0, row, 0, p.length);
            int room = seqLen - p.length;
            if (r.length > room) truncated++;
            System.arraycopy(r, 0, row, p.length, Math.min(r.length, room));
            rows.add(row);
            prompts.add(p.length);
        }
        if (rows.isEmpty()) throw new IllegalArgumentException("SFT data " + file + " has no examples");
        return new SftDataset(seqLen, rows.toArray(int[][]::new), prompts.stream().mapToInt(Integer::intValue).toArray(), seed, shuffle, truncated);
    }

    public int size() { return rows.length; }

    /** Examples whose response was cut to fit the row. */
    public int truncated() { return truncated; }

    @Override
    public void fill(long index, int[] out, int batch, int seqLen) {
        fill(index, out, new int[batch], batch, seqLen);
    }

    @Override
    public void fill(long index, int[] out, int[] prompts, int batch, int seqLen) {
        if (seqLen != this.seqLen) throw new IllegalArgumentException("SFT rows have " + this.seqLen + " tokens, asked for " + seqLen);
        for (int b = 0; b < batch; b++) {
            int item = order.itemOf(index * batch + b);
            System.arraycopy(rows[item], 0, out, b * seqLen, seqLen);
            prompts[b] = promptLengths[item];
        }
    }
}
