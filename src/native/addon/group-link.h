// A process group over c10d: a TCPStore for the rendezvous (rank 0 serves it) and Gloo for the collectives.
// GroupLink is what the engine uses (gradient and batch-norm all-reduces); process-group.h is its JavaScript
// face. Every failure is one line that says what went wrong and, where it can be told, which rank is missing.
#pragma once
#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace c10d {
class Store;
class ProcessGroup;
}  // namespace c10d

struct GroupOptions {
  int rank = 0;
  int worldSize = 1;
  std::string host;  // where rank 0 serves the rendezvous
  int port = 0;
  std::chrono::milliseconds timeout{300000};
  std::string interface;  // network interface for Gloo's connections; empty: the one that reaches `host`
};

class GroupLink {
 public:
  // Blocks until every rank has joined or the timeout has passed.
  explicit GroupLink(const GroupOptions& options);
  ~GroupLink();
  int rank() const { return options_.rank; }
  int worldSize() const { return options_.worldSize; }

  // In place: the element-wise sum over all ranks.
  void allreduceSum(torch::Tensor& tensor, const std::string& what);
  // Every rank's tensor (all of the same shape and type), in rank order.
  std::vector<torch::Tensor> allgather(const torch::Tensor& tensor, const std::string& what);
  // In place: rank `root`'s tensor on every rank.
  void broadcast(torch::Tensor& tensor, int root, const std::string& what);
  void barrier(const std::string& what);
  // Wall time spent in collectives so far, waiting for slower ranks included.
  double communicationSeconds() const { return communicationSeconds_; }

 private:
  void rendezvous();
  // The one-line error for a collective that failed: which rank is missing, if it can be told.
  [[noreturn]] void lost(const std::string& what, const std::string& cause);
  template <typename Start>
  void run(const std::string& what, Start start);

  GroupOptions options_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::ProcessGroup> group_;
  double communicationSeconds_ = 0;
};
