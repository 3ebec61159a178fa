#include "jpeg-batch.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "jpeg-decode.h"

namespace {

// Larger files are left to sharp, which streams them; no JPEG of a sane size comes close.
constexpr off_t kMaxFileBytes = 256 << 20;
constexpr int kMaxStoredSize = 4096;
constexpr int kMaxThreads = 64;

struct OpenFile {
  int fd;
  ~OpenFile() {
    if (fd >= 0) close(fd);
  }
};

// Reads a whole regular JPEG file; "" on success, else why not (sharp will then say it properly).
std::string readJpegFile(const std::string& path, std::vector<uint8_t>& bytes) {
  if (path.find('\0') != std::string::npos) return "a NUL byte in the path";
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below as not a regular file.
  const OpenFile file{open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
  const int fd = file.fd;
  if (fd < 0) return "cannot open";
  struct stat stats {};
  if (fstat(fd, &stats) != 0 || !S_ISREG(stats.st_mode)) return "not a regular file";
  if (stats.st_size == 0 || stats.st_size > kMaxFileBytes) return "empty or very large file";
  // The signature first, so that a large PNG or TIFF is not read whole for nothing.
  uint8_t start[3];
  if (pread(fd, start, 3, 0) != 3 || start[0] != 0xFF || start[1] != 0xD8 || start[2] != 0xFF) return "not a JPEG";
  bytes.resize(static_cast<size_t>(stats.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t got = pread(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (got <= 0) return "short read";
    done += static_cast<size_t>(got);
  }
  return "";
}

class DecodeWorker : public Napi::AsyncWorker {
 public:
  DecodeWorker(Napi::Env env, std::vector<std::string> files, int storedSize, Napi::Buffer<uint8_t> out, int threads)
      : Napi::AsyncWorker(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        files_(std::move(files)),
        storedSize_(storedSize),
        out_(out.Data()),
        outRef_(Napi::Persistent(out)),
        threads_(threads),
        reasons_(files_.size()) {}

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    std::atomic<size_t> next{0};
    const size_t imageBytes = static_cast<size_t>(storedSize_) * storedSize_ * 3;
    auto work = [&]() {
      std::unique_ptr<JpegDecoder> decoder;
      std::vector<uint8_t> bytes;
      for (size_t i = next++; i < files_.size(); i = next++) {
        try {
          if (!decoder) decoder = std::make_unique<JpegDecoder>();
          reasons_[i] = readJpegFile(files_[i], bytes);
          if (reasons_[i].empty()) reasons_[i] = decoder->decodeSquare(bytes.data(), bytes.size(), storedSize_, out_ + i * imageBytes);
        } catch (const std::exception& error) {
          reasons_[i] = error.what();
        }
      }
    };
    const size_t helpers = std::min<size_t>(static_cast<size_t>(threads_), files_.size()) - (files_.empty() ? 0 : 1);
    std::vector<std::thread> pool;
    try {
      for (size_t t = 0; t < helpers; ++t) pool.emplace_back(work);
    } catch (const std::exception&) {
      // Fewer threads than asked for: the ones started and this one still finish the batch.
    }
    work();
    for (auto& thread : pool) thread.join();
  }

  void OnOK() override {
    auto reasons = Napi::Array::New(Env(), reasons_.size());
    for (size_t i = 0; i < reasons_.size(); ++i) reasons.Set(static_cast<uint32_t>(i), Napi::String::New(Env(), reasons_[i]));
    deferred_.Resolve(reasons);
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::vector<std::string> files_;
  int storedSize_;
  uint8_t* out_;
  Napi::Reference<Napi::Buffer<uint8_t>> outRef_;  // keeps `out` alive while the threads write to it
  int threads_;
  std::vector<std::string> reasons_;
};

int wholeNumber(const Napi::Value& value, const char* name, int min, int max) {
  if (!value.IsNumber()) throw Napi::TypeError::New(value.Env(), std::string(name) + " must be a number");
  const double number = value.As<Napi::Number>().DoubleValue();
  if (number != static_cast<int>(number) || number < min || number > max) {
    throw Napi::RangeError::New(value.Env(), std::string(name) + " must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return static_cast<int>(number);
}

}  // namespace

Napi::Value DecodeJpegs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 4 || !info[0].IsArray() || !info[2].IsBuffer()) {
    throw Napi::TypeError::New(env, "decodeJpegs(files: string[], storedSize: number, out: Buffer, threads: number)");
  }
  auto list = info[0].As<Napi::Array>();
  std::vector<std::string> files(list.Length());
  for (uint32_t i = 0; i < list.Length(); ++i) {
    Napi::Value file = list.Get(i);
    if (!file.IsString()) throw Napi::TypeError::New(env, "decodeJpegs: every file must be a string");
    files[i] = file.As<Napi::String>().Utf8Value();
  }
  const int storedSize = wholeNumber(info[1], "storedSize", 1, kMaxStoredSize);
  auto out = info[2].As<Napi::Buffer<uint8_t>>();
  const int threads = wholeNumber(info[3], "threads", 1, kMaxThreads);
  if (out.Length() / (static_cast<size_t>(storedSize) * storedSize * 3) < files.size()) {
    throw Napi::RangeError::New(env, "decodeJpegs: the output buffer is too small for the files");
  }
  auto* worker = new DecodeWorker(env, std::move(files), storedSize, out, threads);
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}
