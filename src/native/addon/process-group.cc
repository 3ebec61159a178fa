#include "process-group.h"

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
#include "errors.h"

namespace {

const std::string kRefusedKey = "wbc/refused";
const napi_type_tag kProcessGroupTag = {0x7762635f70726f63ULL, 0x6573735f67726f75ULL};

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

// ---- JavaScript face ----

Napi::Function ProcessGroup::Define(Napi::Env env) {
  return DefineClass(env, "ProcessGroup", {
      InstanceMethod<&ProcessGroup::checkedMethod<&ProcessGroup::Allgather>>("allgather"),
      InstanceMethod<&ProcessGroup::checkedMethod<&ProcessGroup::Broadcast>>("broadcast"),
      InstanceMethod<&ProcessGroup::checkedMethod<&ProcessGroup::Barrier>>("barrier"),
      InstanceMethod<&ProcessGroup::checkedMethod<&ProcessGroup::AllreduceSum>>("allreduceSum"),
      InstanceAccessor<&ProcessGroup::CommunicationSeconds>("communicationSeconds"),
      InstanceAccessor<&ProcessGroup::Rank>("rank"),
      InstanceAccessor<&ProcessGroup::WorldSize>("worldSize"),
  });
}

template <auto Method>
Napi::Value ProcessGroup::checkedMethod(const Napi::CallbackInfo& info) {
  return callWithOneLineErrors(info, [&] { return (this->*Method)(info); });
}

ProcessGroup::ProcessGroup(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ProcessGroup>(info) {
  withOneLineErrors(info.Env(), [&] {
    auto options = args::object(info[0], "options");
    GroupOptions group;
    group.worldSize = static_cast<int>(args::wholeNumber(options.Get("worldSize"), "worldSize", 1, 65536));
    group.rank = static_cast<int>(args::wholeNumber(options.Get("rank"), "rank", 0, group.worldSize - 1));
    group.host = args::string(options.Get("host"), "host");
    group.port = static_cast<int>(args::wholeNumber(options.Get("port"), "port", 1, 65535));
    group.timeout = std::chrono::milliseconds(args::wholeNumber(options.Get("timeoutSeconds"), "timeoutSeconds", 1, 86400) * 1000);
    if (!options.Get("interface").IsUndefined()) group.interface = args::string(options.Get("interface"), "interface");
    link_ = std::make_shared<GroupLink>(group);
    info.This().As<Napi::Object>().TypeTag(&kProcessGroupTag);
  });
}

std::shared_ptr<GroupLink> ProcessGroup::linkOf(const Napi::Value& value, const std::string& name) {
  if (!value.IsObject() || !value.As<Napi::Object>().CheckTypeTag(&kProcessGroupTag)) args::throwType(value, name, "a ProcessGroup");
  return Unwrap(value.As<Napi::Object>())->link_;
}

Napi::Value ProcessGroup::Allgather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto bytes = args::uint8Array(info[0], "bytes");
  std::string what = info[1].IsUndefined() ? "allgather" : args::string(info[1], "what");
  auto length = torch::full({1}, static_cast<int64_t>(bytes.ByteLength()), torch::kLong);
  auto lengths = link_->allgather(length, what);
  int64_t longest = 0;
  for (auto& l : lengths) longest = std::max(longest, l.item<int64_t>());
  auto padded = torch::zeros({std::max<int64_t>(longest, 1)}, torch::kUInt8);
  std::memcpy(padded.data_ptr<uint8_t>(), bytes.Data(), bytes.ByteLength());
  auto gathered = link_->allgather(padded, what);
  auto out = Napi::Array::New(env, gathered.size());
  for (size_t r = 0; r < gathered.size(); ++r) {
    auto size = static_cast<size_t>(lengths[r].item<int64_t>());
    auto array = Napi::Uint8Array::New(env, size);
    std::memcpy(array.Data(), gathered[r].data_ptr<uint8_t>(), size);
    out.Set(static_cast<uint32_t>(r), array);
  }
  return out;
}

Napi::Value ProcessGroup::Broadcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool root = link_->rank() == 0;
  Napi::Uint8Array bytes;
  if (root) bytes = args::uint8Array(info[0], "bytes");
  std::string what = info[1].IsUndefined() ? "broadcast" : args::string(info[1], "what");
  auto length = torch::full({1}, root ? static_cast<int64_t>(bytes.ByteLength()) : 0, torch::kLong);
  link_->broadcast(length, 0, what);
  auto size = length.item<int64_t>();
  auto data = torch::empty({std::max<int64_t>(size, 1)}, torch::kUInt8);
  if (root) std::memcpy(data.data_ptr<uint8_t>(), bytes.Data(), static_cast<size_t>(size));
  link_->broadcast(data, 0, what);
  auto out = Napi::Uint8Array::New(env, static_cast<size_t>(size));
  std::memcpy(out.Data(), data.data_ptr<uint8_t>(), static_cast<size_t>(size));
  return out;
}

void ProcessGroup::Barrier(const Napi::CallbackInfo& info) {
  link_->barrier(info[0].IsUndefined() ? "barrier" : args::string(info[0], "what"));
}

void ProcessGroup::AllreduceSum(const Napi::CallbackInfo& info) {
  auto values = args::float32Array(info[0], "values");
  std::string what = info[1].IsUndefined() ? "allreduce" : args::string(info[1], "what");
  // Summed in a tensor of its own: the JavaScript buffer is only touched before and after.
  auto sum = torch::from_blob(values.Data(), {static_cast<int64_t>(values.ElementLength())}, torch::kFloat).clone();
  link_->allreduceSum(sum, what);
  std::memcpy(values.Data(), sum.data_ptr<float>(), values.ByteLength());
}

Napi::Value ProcessGroup::CommunicationSeconds(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), link_->communicationSeconds());
}

Napi::Value ProcessGroup::Rank(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), link_->rank()); }

Napi::Value ProcessGroup::WorldSize(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), link_->worldSize()); }
