package jdlm.tokenizer;

import java.util.HashMap;
import java.util.Map;

/**
 * Finds added tokens (chat markers, control tokens, user-defined tokens) in text before it is
 * pre-tokenised, so that they are never split: a character trie searched leftmost-longest, the
 * rule Hugging Face tokenizers and llama.cpp use.
 */
final class AddedTokenMatcher {
    record Match(int start, int end, int id) {}

    private static final class Node {
        final Map<Character, Node> next = new HashMap<>();
        int id = -1;
    }

    private final Node root = new Node();
    private boolean empty = true;

    /** Adds {@code content → id}; the first id given for a content wins. Content must not be empty. */
    void add(String content, int id) {
        Node n = root;
        for (int i = 0; i < content.length(); i++) n = n.next.computeIfAbsent(content.charAt(i), c -> new Node());
        if (n.id < 0) n.id = id;
        empty = false;
    }

    boolean contains(String content) {
        Node n = root;
        for (int i = 0; i < content.length() && n != null; i++) n = n.next.get(content.charAt(i));
        return n != null && n.id >= 0;
    }

    /** The leftmost match starting at or after {@code from}, the longest one there; null if none. */
    Match find(String text, int from) {
        if (empty) return null;
        for (int start = from; start < text.length(); start++) {
            Node n = root;
            int bestEnd = -1, bestId = -1;
            for (int i = start; i < text.length(); i++) {
                n = n.next.get(text.charAt(i));
                if (n == null) break;
                if (n.id >= 0) {
                    bestEnd = i + 1;
                    bestId = n.id;
                }
            }
            if (bestEnd >= 0) return new Match(start, bestEnd, bestId);
        }
        return null;
    }
}
