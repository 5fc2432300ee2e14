// A bare cpp-httplib server answering GET /bench/hello with the same JSON
// as watchstore-server's --bench-hello route: the floor under which the
// server's own overhead (reactor, routing, headers, logging, metrics) shows.
// Tuned as a fair baseline: TCP_NODELAY, unbounded keep-alive, a worker per
// connection.
//
//   raw_hello PORT [THREADS]     (listens on 127.0.0.1:PORT until killed)
#include <httplib.h>

#include <cstdlib>
#include <iostream>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: raw_hello PORT [THREADS]\n";
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int threads = argc > 2 ? std::atoi(argv[2]) : 256;
  if (port <= 0 || port > 65535 || threads < 1 || threads > 16384) {
    std::cerr << "bad PORT or THREADS\n";
    return 2;
  }
  httplib::Server server;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(1'000'000);
  server.Get("/bench/hello", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"hello":"world"})", "application/json");
  });
  if (!server.listen("127.0.0.1", port)) {
    std::cerr << "cannot listen on 127.0.0.1:" << port << "\n";
    return 1;
  }
  return 0;
}
