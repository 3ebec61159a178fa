#include "group-link.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <cstring>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "args.h"

namespace {

const std::string kRefusedKey = "wbc/refused";

std::string firstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  // Gloo prefixes its messages with the source file: "[../gloo/transport/tcp/pair.cc:598] ".
  if (!line.empty() && line[0] == '[') {
    auto end = line.find("] ");
    if (end != std::string::npos) line = line.substr(end + 2);
  }
  return args::printable(line);
}

bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

std::string seconds(std::chrono::milliseconds timeout) {
  return std::to_string((timeout.count() + 999) / 1000) + " s";
}

std::string rankList(const std::vector<int>& ranks) {
  std::string text = ranks.size() == 1 ? "rank " : "ranks ";
  for (size_t i = 0; i < ranks.size(); ++i) text += (i ? ", " : "") + std::to_string(ranks[i]);
  return text;
}

// The address of this machine on the route to `host`: the address Gloo must listen on so that the other
// ranks can reach it (the hostname may resolve to 127.0.1.1 on Debian, which no other machine reaches).
std::string localAddressTowards(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found) {
    throw std::runtime_error("cannot resolve the master address '" + args::printable(host) + "'");
  }
  std::string address;
  int fd = socket(found->ai_family, SOCK_DGRAM, 0);
  sockaddr_storage local{};
  socklen_t length = sizeof(local);
  // A UDP "connect" sends nothing; it only picks the route and with it the local address.
  if (fd >= 0 && connect(fd, found->ai_addr, found->ai_addrlen) == 0 && getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0) {
    char text[INET6_ADDRSTRLEN] = {0};
    const void* raw = local.ss_family == AF_INET6 ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr)
                                                  : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&local)->sin_addr);
    if (inet_ntop(local.ss_family, raw, text, sizeof(text))) address = text;
  }
  if (fd >= 0) close(fd);
  freeaddrinfo(found);
  if (address.empty()) throw std::runtime_error("no network route from this machine to the master address '" + args::printable(host) + "'");
  return address;
}

std::vector<uint8_t> bytesOf(const std::string& text) { return {text.begin(), text.end()}; }

}  // namespace

GroupLink::GroupLink(const GroupOptions& options) : options_(options) { rendezvous(); }

GroupLink::~GroupLink() = default;

void GroupLink::rendezvous() {
  const int rank = options_.rank;
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  c10d::TCPStoreOptions storeOptions;
  storeOptions.port = static_cast<uint16_t>(options_.port);
  storeOptions.isServer = rank == 0;
  storeOptions.numWorkers = options_.worldSize;
  storeOptions.waitWorkers = false;  // waited for below, so that a missing rank can be named
  storeOptions.timeout = options_.timeout;
  try {
    store_ = c10::make_intrusive<c10d::TCPStore>(options_.host, storeOptions);
  } catch (const std::exception& error) {
    std::string cause = firstLine(error.what());
    if (rank == 0 && (contains(cause, "Address already in use") || contains(cause, "errno: 98"))) {
      throw std::runtime_error("port " + std::to_string(options_.port) + " is busy on this machine (another program, or a second rank 0, listens there): choose another master port");
    }
    if (rank == 0) throw std::runtime_error("rank 0 cannot serve the rendezvous on " + where + ": " + cause);
    throw std::runtime_error("could not reach rank 0 at " + where + " within " + seconds(options_.timeout) +
                             " (is rank 0 running, and is the master address right?)");
  }

  // Every rank checks its world size against rank 0's before it claims its rank number.
  const std::string worldKey = "wbc/world-size";
  if (rank == 0) {
    store_->set(worldKey, bytesOf(std::to_string(options_.worldSize)));
  } else {
    auto value = store_->get(worldKey);
    std::string theirs(value.begin(), value.end());
    if (theirs != std::to_string(options_.worldSize)) {
      std::string why = "world size mismatch: this process was started with world size " + std::to_string(options_.worldSize) +
                        ", rank 0 with " + theirs + "; give every rank the same world size";
      // Told to the others too, who would otherwise only see this rank missing.
      store_->set(kRefusedKey, bytesOf("rank " + std::to_string(rank) + " refused to join: " + why));
      throw std::runtime_error(why);
    }
  }
  if (store_->add("wbc/rank/" + std::to_string(rank), 1) > 1) {
    throw std::runtime_error("rank " + std::to_string(rank) + " is already taken by another process of this group; give each process its own rank");
  }
  // Wait for every rank, naming the ones that never came.
  std::vector<std::string> keys;
  for (int r = 0; r < options_.worldSize; ++r) keys.push_back("wbc/rank/" + std::to_string(r));
  auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  try {
    while (!store_->check(keys)) {
      if (store_->check({kRefusedKey})) {
        auto why = store_->get(kRefusedKey);
        throw std::runtime_error(std::string(why.begin(), why.end()));
      }
      if (std::chrono::steady_clock::now() > deadline) {
        std::vector<int> missing;
        for (int r = 0; r < options_.worldSize; ++r) {
          if (!store_->check({keys[r]})) missing.push_back(r);
        }
        throw std::runtime_error(rankList(missing) + " of " + std::to_string(options_.worldSize) + " did not join within " + seconds(options_.timeout));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  } catch (const c10::Error& error) {
    // The store lives in rank 0: it stopped answering while this rank waited for the others.
    throw std::runtime_error("lost rank 0 while waiting for the others to join (" + firstLine(error.what_without_backtrace()) + ")");
  } catch (const std::system_error& error) {
    throw std::runtime_error("lost rank 0 while waiting for the others to join (" + firstLine(error.what()) + ")");
  }

  auto glooOptions = c10d::ProcessGroupGloo::Options::create(options_.timeout);
  glooOptions->devices.push_back(options_.interface.empty()
                                     ? c10d::ProcessGroupGloo::createDeviceForHostname(localAddressTowards(options_.host, options_.port))
                                     : c10d::ProcessGroupGloo::createDeviceForInterface(options_.interface));
  try {
    group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(c10::make_intrusive<c10d::PrefixStore>("wbc/gloo", store_), rank,
                                                          options_.worldSize, glooOptions);
  } catch (const std::exception& error) {
    lost("connecting the group", firstLine(error.what()));
  }
}

void GroupLink::lost(const std::string& what, const std::string& cause) {
  const int world = options_.worldSize;
  bool timedOut = contains(cause, "imed out") || contains(cause, "imeout");
  std::vector<int> missing;
  if (world == 2) {
    missing.push_back(1 - options_.rank);
  } else {
    // Each rank that is still alive says so in the store; the ones that do not within a few seconds are named.
    try {
      store_->set("wbc/alive/" + std::to_string(options_.rank), bytesOf("1"));
      auto deadline = std::chrono::steady_clock::now() + std::min(options_.timeout, std::chrono::milliseconds(5000));
      for (;;) {
        missing.clear();
        for (int r = 0; r < world; ++r) {
          if (!store_->check({"wbc/alive/" + std::to_string(r)})) missing.push_back(r);
        }
        if (missing.empty() || std::chrono::steady_clock::now() > deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    } catch (const std::exception&) {
      missing = {0};  // the store lives in rank 0: no answer from it means rank 0 is gone
    }
  }
  std::string who = missing.empty() ? "a rank" : rankList(missing);
  if (timedOut) throw std::runtime_error(who + " did not answer within " + seconds(options_.timeout) + " during " + what + " (" + cause + ")");
  throw std::runtime_error("lost " + who + " during " + what + " (" + cause + ")");
}

template <typename Start>
void GroupLink::run(const std::string& what, Start start) {
  auto began = std::chrono::steady_clock::now();
  try {
    auto work = start();
    work->wait();
  } catch (const std::exception& error) {
    lost(what, firstLine(error.what()));
  }
  communicationSeconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
}

void GroupLink::allreduceSum(torch::Tensor& tensor, const std::string& what) {
  std::vector<torch::Tensor> tensors{tensor};
  run(what, [&] { return group_->allreduce(tensors); });
}

std::vector<torch::Tensor> GroupLink::allgather(const torch::Tensor& tensor, const std::string& what) {
  std::vector<torch::Tensor> input{tensor.contiguous()};
  std::vector<std::vector<torch::Tensor>> output(1);
  for (int r = 0; r < options_.worldSize; ++r) output[0].push_back(torch::empty_like(input[0]));
  run(what, [&] { return group_->allgather(output, input); });
  return output[0];
}

void GroupLink::broadcast(torch::Tensor& tensor, int root, const std::string& what) {
  std::vector<torch::Tensor> tensors{tensor};
  c10d::BroadcastOptions options;
  options.rootRank = root;
  run(what, [&] { return group_->broadcast(tensors, options); });
}

void GroupLink::barrier(const std::string& what) {
  run(what, [&] { return group_->barrier(); });
}

