package org.unioncat.solr;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.solr.client.solrj.request.CollectionAdminRequest;
import org.apache.solr.cloud.MiniSolrCloudCluster;
import org.apache.solr.common.cloud.DocCollection;
import org.apache.solr.common.cloud.Replica;
import org.apache.solr.common.cloud.Slice;
import org.apache.solr.embedded.JettySolrRunner;

/**
 * A SolrCloud for unioncat's tests and benchmarks: MiniSolrCloudCluster (real Solr nodes over HTTP on
 * 127.0.0.1 and an embedded ZooKeeper) in one JVM.
 *
 * <p>Usage: {@code Launcher BASE_DIR CONFIGSET_DIR [NODES] [COLLECTION SHARDS REPLICAS]}. It uploads the configset
 * under the name "unioncat", optionally creates a collection, prints one line
 * {@code UNIONCAT-SOLR {"nodes":[...],"zk":"..."}} and then reads commands on stdin, answering each with one line
 * starting "OK" or "ERROR": {@code stop N}, {@code start N}, {@code nodes}, {@code quit}. End of input quits too,
 * so the cluster never outlives the process that started it.
 */
public final class Launcher {
  private static final String CONFIG_NAME = "unioncat";
  private static final PrintStream OUT = System.out;

  private Launcher() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: Launcher BASE_DIR CONFIGSET_DIR [NODES] [COLLECTION SHARDS REPLICAS]");
      System.exit(2);
    }
    Path base = Paths.get(args[0]).toAbsolutePath();
    Path configset = Paths.get(args[1]).toAbsolutePath();
    int nodes = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    Files.createDirectories(base);
    // outside a randomized-testing run: no trace ids drawn from its random context, paths allowed under base
    System.setProperty("solr.alwaysOnTraceId", "false");
    System.setProperty("solr.allowPaths", base.toString());
    System.setProperty("host", "127.0.0.1");
    System.setProperty("solr.log.dir", base.resolve("logs").toString());
    long started = System.nanoTime();
    MiniSolrCloudCluster cluster =
        new MiniSolrCloudCluster.Builder(nodes, base).addConfig(CONFIG_NAME, configset).build();
    long nodesUp = System.nanoTime();
    if (args.length > 5) {
      createCollection(cluster, args[3], Integer.parseInt(args[4]), Integer.parseInt(args[5]));
    }
    long ready = System.nanoTime();
    OUT.println("UNIONCAT-SOLR {\"nodes\":" + nodeList(cluster.getJettySolrRunners()) + ",\"zk\":\"" + cluster.getZkServer().getZkAddress()
        + "\",\"start_ms\":" + TimeUnit.NANOSECONDS.toMillis(nodesUp - started)
        + ",\"collection_ms\":" + TimeUnit.NANOSECONDS.toMillis(ready - nodesUp) + "}");
    OUT.flush();
    // the cluster's own list drops a stopped node: keep the original numbering for stop/start
    List<JettySolrRunner> runners = new ArrayList<>(cluster.getJettySolrRunners());
    try {
      serve(cluster, runners);
    } finally {
      cluster.shutdown();
    }
  }

  private static void createCollection(MiniSolrCloudCluster cluster, String name, int shards, int replicas)
      throws Exception {
    CollectionAdminRequest.createCollection(name, CONFIG_NAME, shards, replicas).process(cluster.getSolrClient());
    cluster.waitForActiveCollection(name, shards, shards * replicas);
    DocCollection state = cluster.getSolrClient().getClusterState().getCollection(name);
    for (Slice slice : state.getSlices()) {
      List<String> seen = new ArrayList<>();
      for (Replica replica : slice.getReplicas()) {
        if (seen.contains(replica.getNodeName())) {
          throw new IllegalStateException("two replicas of " + slice.getName() + " on " + replica.getNodeName());
        }
        seen.add(replica.getNodeName());
      }
    }
  }

  private static void serve(MiniSolrCloudCluster cluster, List<JettySolrRunner> runners) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      String[] words = line.trim().split("\\s+");
      try {
        switch (words[0]) {
          case "stop":
            JettySolrRunner stopped = runners.get(Integer.parseInt(words[1]));
            cluster.stopJettySolrRunner(stopped);
            cluster.waitForJettyToStop(stopped);
            OUT.println("OK stopped " + words[1]);
            break;
          case "start":
            JettySolrRunner jetty = runners.get(Integer.parseInt(words[1]));
            cluster.startJettySolrRunner(jetty, true); // true: on the same port, as a restarted server
            cluster.waitForNode(jetty, 60);
            OUT.println("OK started " + words[1] + " " + jetty.getBaseUrl());
            break;
          case "nodes":
            OUT.println("OK " + nodeList(runners));
            break;
          case "quit":
            OUT.println("OK quitting");
            OUT.flush();
            return;
          default:
            OUT.println("ERROR unknown command " + words[0]);
        }
      } catch (Exception e) {
        OUT.println("ERROR " + e.toString().replace('\n', ' '));
      }
      OUT.flush();
    }
  }

  private static String nodeList(List<JettySolrRunner> runners) {
    StringBuilder out = new StringBuilder("[");
    for (JettySolrRunner jetty : runners) {
      if (out.length() > 1) {
        out.append(',');
      }
      out.append('"').append(jetty.getBaseUrl()).append('"');
    }
    return out.append(']').toString();
  }
}
