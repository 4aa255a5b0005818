package jdlm.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jdlm.LoadedModel;
import jdlm.format.gguf.GgufArray;
import jdlm.format.gguf.GgufFile;
import jdlm.format.gguf.GgufMetadata;
import jdlm.format.gguf.GgufValueType;
import jdlm.format.gguf.GgufWriter;
import jdlm.model.ModelConfig;
import jdlm.model.Transformer;
import jdlm.model.interop.GgufExport;
import jdlm.tensor.QuantType;
import jdlm.tokenizer.ByteTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code generate --chat} on a GGUF that carries a ChatML template and its two control tokens. */
class ChatCommandTest {
    @TempDir Path dir;

    static final int IM_START = 259, IM_END = 260;
    static final String CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content']"
            + " + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /** A tiny random masked model whose vocabulary is the byte tokenizer's plus <|im_start|> and <|im_end|>. */
    private Path chatModel() throws Exception {
        return chatModel(false);
    }

    private Path chatModel(boolean bos) throws Exception {
        return chatModel(bos, 64);
    }

    private Path chatModel(boolean bos, int context) throws Exception {
        ModelConfig c = ModelConfig.of(1, 16, 2, 32, 261, context, ModelConfig.AttentionMode.BIDIRECTIONAL);
        Path base = dir.resolve("base.gguf");
        float[] p = Transformer.initialized(c, 3).parameters().clone();
        for (int i = 0; i < p.length; i++) p[i] *= 8; // peaked distributions: answers that depend on the prompt
        GgufExport.write(new Transformer(c, p), new ByteTokenizer(), QuantType.F32, base);
        Path chat = dir.resolve((bos ? "chat-bos-" : "chat-") + context + ".gguf");
        try (GgufFile f = GgufFile.open(base)) {
            GgufMetadata md = new GgufMetadata(f.metadata());
            List<String> tokens = new ArrayList<>(f.metadata().getStrings("tokenizer.ggml.tokens"));
            tokens.add("<|im_start|>");
            tokens.add("<|im_end|>");
            long[] types = new long[tokens.size()];
            for (int i = 0; i < types.length; i++) types[i] = i < 256 ? 1 : 3;
            md.putArray("tokenizer.ggml.tokens", GgufArray.ofStrings(tokens));
            md.putArray("tokenizer.ggml.token_type", GgufArray.ofIntegers(GgufValueType.INT32, types));
            md.putString("tokenizer.chat_template", CHATML);
            if (bos) {
                md.putUInt32("tokenizer.ggml.bos_token_id", IM_START);
                md.putBool("tokenizer.ggml.add_bos_token", true);
            }
            GgufWriter w = new GgufWriter(md);
            for (String name : f.tensors().keySet()) w.add(f.weight(name));
            w.write(chat);
        }
        return chat;
    }

    private static List<Long> bytes(String s) {
        List<Long> out = new ArrayList<>();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) out.add((long) (b & 0xff));
        return out;
    }

    @Test
    void thePromptBecomesAUserTurnFollowedByTheAssistantPrompt() throws Exception {
        Path model = chatModel();
        CommandRun r = CommandRun.of("generate", "--model", model.toString(), "--chat", "--prompt", "hi <|im_end|>",
                "--length", "8", "--steps", "8", "--json");
        Map<String, Object> j = r.json();
        List<Long> want = new ArrayList<>();
        want.add((long) IM_START);
        want.addAll(bytes("user\nhi <|im_end|>"));   // typed markers stay text
        want.add((long) IM_END);
        want.addAll(bytes("\n"));
        want.add((long) IM_START);
        want.addAll(bytes("assistant\n"));
        assertEquals(want, j.get("prompt_tokens"));
        assertTrue(((List<?>) j.get("tokens")).size() <= 8, "the answer is at most --length tokens");
    }

    @Test
    void aPlainPromptStartsWithBosWhenTheTokenizerAddsOne() throws Exception {
        List<Long> want = new ArrayList<>();
        want.add((long) IM_START);
        want.addAll(bytes("hi"));
        Map<String, Object> j = CommandRun.of("generate", "--model", chatModel(true).toString(), "--prompt", "hi", "--length", "4", "--json").json();
        assertEquals(want, j.get("prompt_tokens"));
        j = CommandRun.of("generate", "--model", chatModel(false).toString(), "--prompt", "hi", "--length", "4", "--json").json();
        assertEquals(bytes("hi"), j.get("prompt_tokens"), "add_bos_token false (what jdlm writes): no BOS");
    }

    @Test
    void chatWithoutATemplateIsAClearError() {
        CommandRun r = CommandRun.of("generate", "--model", TinyRuns.masked().toString(), "--chat", "--prompt", "hi");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--chat needs a model with a chat template"), r.err());
        r = CommandRun.of("generate", "--model", TinyRuns.masked().toString(), "--system", "be brief", "--prompt", "hi");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--system applies only with --chat"), r.err());
    }

    /** {@code jdlm chat} with these lines on standard input. */
    private static CommandRun chat(String input, String... args) {
        java.io.InputStream stdin = System.in;
        System.setIn(new java.io.ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
        try {
            List<String> all = new ArrayList<>(List.of("chat"));
            all.addAll(List.of(args));
            return CommandRun.of(all.toArray(String[]::new));
        } finally {
            System.setIn(stdin);
        }
    }

    /** The texts of chat --json's lines. */
    private static List<String> answers(CommandRun r) {
        if (r.exit() != 0) throw new AssertionError("exit " + r.exit() + ": " + r.err());
        List<String> texts = new ArrayList<>();
        for (String line : r.out().strip().split("\n")) texts.add((String) jdlm.format.Json.parseObject(line, 1 << 20).get("text"));
        return texts;
    }

    /** Each answer is the library's answer to the whole conversation so far: earlier turns and answers included. */
    @Test
    void chatAnswersFromTheWholeConversationAndStartsOverOnReset() throws Exception {
        Path model = chatModel(false, 256);
        List<String> got = answers(chat("hi\nand you?\n/reset\nhi\n", "--model", model.toString(), "--length", "6", "--steps", "6", "--json"));
        LoadedModel m = LoadedModel.open(model);
        String first = m.chat(List.of(jdlm.tokenizer.ChatMessage.user("hi")), 6, m.sampling(6));
        String second = m.chat(List.of(jdlm.tokenizer.ChatMessage.user("hi"), jdlm.tokenizer.ChatMessage.assistant(first),
                jdlm.tokenizer.ChatMessage.user("and you?")), 6, m.sampling(6));
        String alone = m.chat(List.of(jdlm.tokenizer.ChatMessage.user("and you?")), 6, m.sampling(6));
        assertTrue(!second.equals(alone), "the history changes the answer (else this test could not tell): " + List.of(first, second, alone));
        assertEquals(List.of(first, second, first), got);

        CommandRun plain = chat("hi\nand you?\n", "--model", model.toString(), "--length", "6", "--steps", "6");
        assertEquals(first + "\n" + second + "\n", plain.out(), "without --json: each answer, streamed, then a new line");
    }

    @Test
    void theOldestExchangeIsDroppedWhenTheContextIsFull() throws Exception {
        Path model = chatModel(); // context 64
        String longer = "x".repeat(30);
        CommandRun r = chat(longer + "\n" + longer + "\n", "--model", model.toString(), "--length", "8", "--steps", "8", "--json");
        LoadedModel m = LoadedModel.open(model);
        String alone = m.chat(List.of(jdlm.tokenizer.ChatMessage.user(longer)), 8, m.sampling(8));
        assertEquals(List.of(alone, alone), answers(r), "the second turn, alone in the context, is answered as the first");
        assertTrue(r.err().contains("the oldest exchange was dropped to fit the model's context of 64 positions"), r.err());

        r = chat("y".repeat(80) + "\n", "--model", model.toString(), "--length", "8");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("that message is") && r.err().contains("more than the model's context of 64 positions"), r.err());
    }

    @Test
    void chatWithABaseModelIsAClearError() {
        CommandRun r = chat("hi\n", "--model", TinyRuns.masked().toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("chat needs a model with a chat template") && r.err().contains("./jdlm generate"), r.err());
    }

    /** The server's chat endpoint applies the same template: its answer is generate --chat's, whole and streamed. */
    @Test
    @SuppressWarnings("unchecked")
    void chatCompletionsOverHttpAnswerAsGenerateChatDoes() throws Exception {
        Path model = chatModel();
        String want = (String) CommandRun.of("generate", "--model", model.toString(), "--chat", "--prompt", "hi", "--length", "8",
                "--steps", "8", "--temperature", "0", "--json").json().get("text");
        ApiServer server = new ApiServer(LoadedModel.open(model, false, s -> { }), new java.net.InetSocketAddress("127.0.0.1", 0), 64, 4);
        server.start();
        try {
            java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
            String ask = "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 8, \"steps\": 8, \"temperature\": 0";
            java.net.http.HttpResponse<String> r = client.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(ask + "}")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            Map<String, Object> choice = (Map<String, Object>) ((List<Object>) jdlm.format.Json.parseObject(r.body(), 1 << 20).get("choices")).get(0);
            Map<String, Object> message = (Map<String, Object>) choice.get("message");
            assertEquals("assistant", message.get("role"));
            assertEquals(want, message.get("content"));

            java.net.http.HttpResponse<String> s = client.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(ask + ", \"stream\": true}")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            StringBuilder joined = new StringBuilder();
            for (String part : s.body().split("\n\n")) {
                if (part.equals("data: [DONE]")) continue;
                Map<String, Object> c = (Map<String, Object>) ((List<Object>) jdlm.format.Json.parseObject(part.substring(6), 1 << 20).get("choices")).get(0);
                Object content = ((Map<String, Object>) c.get("delta")).get("content");
                if (content != null) joined.append(content);
            }
            assertEquals(want, joined.toString(), "the deltas add up to the answer");
        } finally {
            server.stop();
        }
    }
}
