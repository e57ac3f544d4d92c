// The Java agent LocalStack always passes to DynamoDB Local (-javaagent:.../ddb-local-loader-0.1.jar).
// LocalStack's own agent is downloaded at first use; this one is built from source instead, and does two
// things a server of the harness must do: bind 127.0.0.1 only (DynamoDB Local's main binds every
// interface), and die when its parent LocalStack dies, even a SIGKILLed one.
import java.lang.reflect.Field;
import java.util.Arrays;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class DdbLocalLoader {
    public static void premain(String agentArgs) throws Exception {
        watchParent();
        // "<jar> -port N -inMemory ...": the arguments main would get
        String[] command = System.getProperty("sun.java.command", "").split(" ");
        if (command.length < 2 || !command[0].endsWith("DynamoDBLocal.jar")) {
            return;  // not the command LocalStack runs: let main start as usual
        }
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(
            Arrays.copyOfRange(command, 1, command.length));
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        for (Connector connector : ((Server) field.get(proxy)).getConnectors()) {
            if (connector instanceof ServerConnector) {
                ((ServerConnector) connector).setHost("127.0.0.1");
            }
        }
        proxy.start();
        proxy.join();  // main never runs: this server is the one
        System.exit(0);
    }

    private static void watchParent() {
        ProcessHandle parent = ProcessHandle.current().parent().orElse(null);
        if (parent == null) {
            return;
        }
        Thread watcher = new Thread(() -> {
            parent.onExit().join();  // completes when the parent process ends
            Runtime.getRuntime().halt(0);
        }, "parent-watch");
        watcher.setDaemon(true);
        watcher.start();
    }
}
