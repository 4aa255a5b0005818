package jdlm.tokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.text.Normalizer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A slow, obvious byte-level BPE written for the tests: split with a pre-tokenizer regex, then in
 * each piece repeatedly merge the adjacent pair with the lowest rank (the leftmost such pair on a
 * tie). Two rank tables: tiktoken's (a pair's rank is its concatenation's rank) or a merge list (a
 * pair's rank is its place in the list). It shares no code with the tokenizers under test.
 * Byte strings are held as ISO-8859-1 Strings: one char per byte.
 */
final class ReferenceBpe {
    static final Pattern GPT2_SPLIT = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);
    static final Pattern LLAMA3_SPLIT = Pattern.compile(
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);
    static final Pattern QWEN2_SPLIT = Pattern.compile(
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private final Pattern split;
    /** Bytes → id of every ordinary token. */
    private final Map<String, Integer> ids;
    /** Rank of merging two byte strings, or null. */
    private final PairRank pairRank;
    private final boolean nfc;
    private final boolean ignoreMerges;

    interface PairRank {
        Integer of(String left, String right);
    }

    private ReferenceBpe(Pattern split, Map<String, Integer> ids, PairRank pairRank, boolean nfc, boolean ignoreMerges) {
        this.split = split;
        this.ids = ids;
        this.pairRank = pairRank;
        this.nfc = nfc;
        this.ignoreMerges = ignoreMerges;
    }

    /** A merge-list BPE: {@code merges} in rank order as byte-string pairs, {@code ids} bytes → id. */
    static ReferenceBpe ofMerges(Pattern split, Map<String, Integer> ids, List<String[]> merges, boolean nfc,
                                 boolean ignoreMerges) {
        Map<String, Integer> rank = new HashMap<>();
        for (int r = 0; r < merges.size(); r++) rank.putIfAbsent(merges.get(r)[0] + "\u0100" + merges.get(r)[1], r);
        return new ReferenceBpe(split, ids, (a, b) -> rank.get(a + "\u0100" + b), nfc, ignoreMerges);
    }

    /** The r50k_base rank file ("base64-of-bytes rank" per line) shipped inside the JTokkit jar. */
    static ReferenceBpe r50k() throws IOException {
        Map<String, Integer> ranks = new HashMap<>();
        try (InputStream in = ReferenceBpe.class.getResourceAsStream("/com/knuddels/jtokkit/r50k_base.tiktoken")) {
            if (in == null) throw new IOException("r50k_base.tiktoken not on the class path");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank()) continue;
                String[] f = line.split(" ");
                ranks.put(new String(Base64.getDecoder().decode(f[0]), StandardCharsets.ISO_8859_1),
                        Integer.parseInt(f[1]));
            }
        }
        return new ReferenceBpe(GPT2_SPLIT, ranks, (a, b) -> ranks.get(a + b), false, false);
    }

    int size() {
        return ids.size();
    }

    List<Integer> encode(String text) {
        List<Integer> out = new ArrayList<>();
        if (nfc) text = Normalizer.normalize(text, Normalizer.Form.NFC);
        Matcher m = split.matcher(text);
        while (m.find()) {
            String bytes = new String(m.group().getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
            if (ignoreMerges && ids.containsKey(bytes)) {
                out.add(ids.get(bytes));
                continue;
            }
            List<String> parts = new ArrayList<>();
            for (int i = 0; i < bytes.length(); i++) parts.add(bytes.substring(i, i + 1));
            while (parts.size() > 1) {
                int best = -1, bestRank = Integer.MAX_VALUE;
                for (int i = 0; i + 1 < parts.size(); i++) {
                    Integer r = pairRank.of(parts.get(i), parts.get(i + 1));
                    if (r != null && r < bestRank) {
                        bestRank = r;
                        best = i;
                    }
                }
                if (best < 0) break;
                parts.set(best, parts.get(best) + parts.remove(best + 1));
            }
            for (String p : parts) out.add(ids.get(p));
        }
        return out;
    }
}
