package jdlm.app;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import jdlm.LoadedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jdlm serve}: the model over HTTP, OpenAI-compatible, with a page that shows it denoise. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve a model over HTTP until stopped (Ctrl-C): OpenAI-compatible POST /v1/completions and /v1/chat/completions"
                + " (\"stream\": true sends server-sent events), GET /v1/models, and at / a web page that draws the canvas as it denoises.",
                "Requests take OpenAI's fields (prompt or messages, max_tokens, temperature, top_p, seed, stream) and jdlm's own"
                        + " (steps, block, policy, top_k); the model's sampling.json fills what they leave out.",
                "Example: ./jdlm serve --port 8080, then open http://localhost:8080/ or"
                        + " curl localhost:8080/v1/completions -d '{\"prompt\": \"Emma\", \"max_tokens\": 64, \"steps\": 32}'"})
final class ServeCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;
    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on; 0.0.0.0 for every interface (default: ${DEFAULT-VALUE}).")
    String host;
    @Option(names = "--port", defaultValue = "8080", description = "Port to listen on, 0 for any free one (default: ${DEFAULT-VALUE}).")
    int port;
    @Option(names = "--max-tokens", defaultValue = "1024", paramLabel = "N", description = "Largest max_tokens a request may ask for (default: ${DEFAULT-VALUE}).")
    int maxTokens;
    @Option(names = "--queue", defaultValue = "16", paramLabel = "N", description = "Requests that may wait while one generates;"
            + " more are refused with 503 and Retry-After (default: ${DEFAULT-VALUE}).")
    int queue;
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be in [0, 65535], got " + port);
        if (maxTokens < 1) throw new IllegalArgumentException("--max-tokens must be at least 1, got " + maxTokens);
        if (queue < 0) throw new IllegalArgumentException("--queue must be ≥ 0, got " + queue);
        PrintWriter err = spec.commandLine().getErr();
        LoadedModel m = modelOptions.open(err::println);
        ApiServer server;
        try {
            server = new ApiServer(m, new InetSocketAddress(host, port), maxTokens, queue);
        } catch (java.net.BindException e) {
            throw new IllegalArgumentException("cannot listen on " + host + ":" + port + " (" + e.getMessage() + "); choose another --port");
        }
        server.start();
        err.println("model: " + m.describe());
        err.printf("serving on http://%s:%d/ (OpenAI API under /v1; Ctrl-C stops)%n", host, server.port());
        err.flush();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop();
            stopped.countDown();
        }));
        stopped.await();
        return 0;
    }
}
