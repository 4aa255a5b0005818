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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A slow, obvious byte-level BPE written for the tests: split with GPT-2's pre-tokenizer regex,
 * then in each piece repeatedly merge the adjacent pair whose concatenation has the lowest rank.
 * It reads only the rank table (bytes → id) and shares no code with the tokenizer under test.
 */
final class ReferenceBpe {
    private static final Pattern GPT2_SPLIT = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    /** Byte strings are held as ISO-8859-1 Strings: one char per byte. */
    private final Map<String, Integer> ranks;

    private ReferenceBpe(Map<String, Integer> ranks) {
        this.ranks = ranks;
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
        return new ReferenceBpe(ranks);
    }

    int size() {
        return ranks.size();
    }

    List<Integer> encode(String text) {
        List<Integer> out = new ArrayList<>();
        Matcher m = GPT2_SPLIT.matcher(text);
        while (m.find()) {
            String bytes = new String(m.group().getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
            List<String> parts = new ArrayList<>();
            for (int i = 0; i < bytes.length(); i++) parts.add(bytes.substring(i, i + 1));
            while (parts.size() > 1) {
                int best = -1, bestRank = Integer.MAX_VALUE;
                for (int i = 0; i + 1 < parts.size(); i++) {
                    Integer r = ranks.get(parts.get(i) + parts.get(i + 1));
                    if (r != null && r < bestRank) {
                        bestRank = r;
                        best = i;
                    }
                }
                if (best < 0) break;
                parts.set(best, parts.get(best) + parts.remove(best + 1));
            }
            for (String p : parts) out.add(ranks.get(p));
        }
        return out;
    }
}
