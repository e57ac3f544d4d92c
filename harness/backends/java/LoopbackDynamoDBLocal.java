// Starts DynamoDB Local bound to 127.0.0.1 only (its own launcher binds every interface).
// Arguments are DynamoDB Local's own (-inMemory -sharedDb -port N ...). When stdin is a listening
// socket (the harness binds it and hands it over, so the port cannot be taken meanwhile), Jetty
// serves on that socket instead of binding its own.
import java.lang.reflect.Field;
import java.nio.channels.ServerSocketChannel;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class LoopbackDynamoDBLocal {
    public static void main(String[] args) throws Exception {
        boolean inherited = System.inheritedChannel() instanceof ServerSocketChannel;
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server server = (Server) field.get(proxy);
        for (Connector connector : server.getConnectors()) {
            if (connector instanceof ServerConnector) {
                ((ServerConnector) connector).setHost("127.0.0.1");
                ((ServerConnector) connector).setInheritChannel(inherited);
            }
        }
        proxy.start();
        proxy.join();
    }
}
