package jdlm.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jdlm.LoadedModel;
import jdlm.format.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** jdlm serve's HTTP API on tiny models, through a real socket. */
class ApiServerTest {
    private final HttpClient client = HttpClient.newHttpClient();
    private ApiServer server;

    private ApiServer serve(java.nio.file.Path model) throws Exception {
        server = new ApiServer(LoadedModel.open(model, false, s -> { }), new InetSocketAddress("127.0.0.1", 0), 64, 4);
        server.start();
        return server;
    }

    @AfterEach
    void stop() {
        if (server != null) server.stop();
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The JSON objects of a server-sent-event stream, and whether it ended with [DONE]. */
    private static List<Map<String, Object>> events(String stream) {
        List<Map<String, Object>> out = new ArrayList<>();
        String[] parts = stream.split("\n\n");
        assertEquals("data: [DONE]", parts[parts.length - 1], "the stream ends with [DONE]");
        for (int i = 0; i < parts.length - 1; i++) {
            assertTrue(parts[i].startsWith("data: "), parts[i]);
            out.add(Json.parseObject(parts[i].substring(6), 1 << 20));
        }
        return out;
    }

    @Test
    @SuppressWarnings("unchecked")
    void completionsAnswerAsGenerateDoesWholeAndStreamed() throws Exception {
        serve(TinyRuns.masked());
        Map<String, Object> models = Json.parseObject(get("/v1/models").body(), 1 << 20);
        assertEquals("list", models.get("object"));

        String ask = "{\"prompt\": \"the c\", \"max_tokens\": 12, \"temperature\": 0, \"steps\": 6}";
        HttpResponse<String> whole = post("/v1/completions", ask);
        assertEquals(200, whole.statusCode(), whole.body());
        Map<String, Object> j = Json.parseObject(whole.body(), 1 << 20);
        Map<String, Object> choice = (Map<String, Object>) ((List<Object>) j.get("choices")).get(0);
        String text = (String) choice.get("text");
        CommandRun cli = CommandRun.of("generate", "--model", TinyRuns.masked().toString(), "--prompt", "the c", "--length", "12",
                "--temperature", "0", "--steps", "6", "--json");
        assertEquals(cli.json().get("text"), text, "the server decodes as generate does");
        Map<String, Object> usage = (Map<String, Object>) j.get("usage");
        assertTrue(((Number) usage.get("completion_tokens")).longValue() <= 12);

        HttpResponse<String> streamed = post("/v1/completions", ask.replace("}", ", \"stream\": true}"));
        assertEquals(200, streamed.statusCode());
        assertTrue(streamed.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        StringBuilder joined = new StringBuilder();
        List<Map<String, Object>> chunks = events(streamed.body());
        for (Map<String, Object> c : chunks) joined.append(((Map<String, Object>) ((List<Object>) c.get("choices")).get(0)).get("text"));
        assertEquals(text, joined.toString(), "the streamed pieces add up to the whole answer");
        Map<String, Object> lastChoice = (Map<String, Object>) ((List<Object>) chunks.getLast().get("choices")).get(0);
        assertEquals(choice.get("finish_reason"), lastChoice.get("finish_reason"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void denoiseStreamsEveryStepsCanvasForThePage() throws Exception {
        serve(TinyRuns.masked());
        HttpResponse<String> page = get("/");
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("/jdlm/denoise") && page.body().contains("masked diffusion"), "the page names the model");

        List<Map<String, Object>> events = events(post("/jdlm/denoise", "{\"prompt\": \"a\", \"max_tokens\": 8, \"steps\": 4, \"temperature\": 0}").body());
        List<Map<String, Object>> steps = events.subList(0, events.size() - 1);
        assertEquals(4, steps.size(), "one event per step");
        long masked0 = ((List<Object>) steps.getFirst().get("tokens")).stream().filter(t -> t == null).count();
        assertEquals(6, masked0, "8 positions, 2 committed in the first of 4 steps");
        assertTrue(((List<Object>) steps.getLast().get("tokens")).stream().noneMatch(t -> t == null), "nothing masked at the end");
        assertTrue(events.getLast().containsKey("text"));
    }

    @Test
    void causalModelsStreamTokenByToken() throws Exception {
        serve(TinyRuns.causal());
        HttpResponse<String> r = post("/v1/completions", "{\"prompt\": \"the\", \"max_tokens\": 6, \"temperature\": 0, \"stream\": true}");
        assertEquals(200, r.statusCode());
        assertTrue(events(r.body()).size() >= 2, r.body());
    }

    @Test
    @SuppressWarnings("unchecked")
    void badRequestsGetAClearErrorAndStatus() throws Exception {
        serve(TinyRuns.masked());
        record Case(String path, String body, int status, String says) {}
        for (Case c : List.of(
                new Case("/v1/completions", "{not json", 400, "not a JSON object"),
                new Case("/v1/completions", "{\"max_tokens\": 4}", 400, "'prompt' must be a string"),
                new Case("/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": 65}", 400, "[1, 64]"),
                new Case("/v1/completions", "{\"prompt\": \"a\", \"temperature\": -1}", 400, "'temperature'"),
                new Case("/v1/completions", "{\"prompt\": \"a\", \"steps\": 10001}", 400, "'steps'"),
                new Case("/v1/completions", "{\"prompt\": \"a\", \"stream\": \"yes\"}", 400, "'stream'"),
                new Case("/v1/completions", "{\"prompt\": \"" + "a ".repeat(40) + "\", \"max_tokens\": 60}", 400, "context length"),
                new Case("/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": 8, \"steps\": 3, \"block\": 4}", 400, "not divisible"),
                new Case("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", 400, "no chat template"),
                new Case("/nowhere", "{}", 404, "no such route"))) {
            HttpResponse<String> r = post(c.path(), c.body());
            assertEquals(c.status(), r.statusCode(), c + ": " + r.body());
            Map<String, Object> error = (Map<String, Object>) Json.parseObject(r.body(), 1 << 20).get("error");
            assertTrue(((String) error.get("message")).contains(c.says()), c + ": " + error);
        }
        HttpResponse<String> wrongMethod = get("/v1/completions");
        assertEquals(405, wrongMethod.statusCode());
        assertEquals("POST", wrongMethod.headers().firstValue("Allow").orElse(null));
        HttpResponse<String> huge = post("/v1/completions", "{\"prompt\": \"" + "a".repeat(ApiServer.MAX_BODY_BYTES) + "\"}");
        assertEquals(413, huge.statusCode());
        assertNull(Json.parseObject(post("/v1/completions", "{\"prompt\": \"ok\", \"max_tokens\": 2}").body(), 1 << 20).get("error"),
                "the server still answers after bad requests");
    }

    @Test
    void requestsArrivingTogetherAreAnsweredInTurn() throws Exception {
        serve(TinyRuns.masked());
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            all.add(client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"x\", \"max_tokens\": 8, \"seed\": " + i + "}")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (var f : all) assertEquals(200, f.get().statusCode(), f.get().body());
    }

    /** With the running generation and the 4 waiting places taken, a request is refused at once, and admitted again after. */
    @Test
    @SuppressWarnings("unchecked")
    void aFullQueueIsAnsweredWith503AndRetryAfter() throws Exception {
        serve(TinyRuns.masked());
        server.admitted.acquire(5);
        try {
            for (String path : List.of("/v1/completions", "/jdlm/denoise")) {
                HttpResponse<String> r = post(path, "{\"prompt\": \"x\", \"max_tokens\": 2, \"stream\": true}");
                assertEquals(503, r.statusCode(), r.body());
                assertEquals("1", r.headers().firstValue("Retry-After").orElse(null));
                Map<String, Object> error = (Map<String, Object>) Json.parseObject(r.body(), 1 << 20).get("error");
                assertEquals("server_overloaded", error.get("type"));
                assertTrue(((String) error.get("message")).contains("4 more are waiting"), r.body());
            }
            assertEquals(200, get("/v1/models").statusCode(), "light requests are still answered");
        } finally {
            server.admitted.release(5);
        }
        assertEquals(200, post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 2}").statusCode());
        assertEquals(5, server.admitted.availablePermits(), "every generation gave its place back");
    }
}
