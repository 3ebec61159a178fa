#include "errors.h"

#include <c10/util/Exception.h>

#include <exception>
#include <new>

#include "args.h"

namespace {

// LibTorch puts context ("Exception raised from ...", frames) after the first line.
std::string firstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
  return args::printable(line);
}

}  // namespace

std::string currentExceptionMessage() {
  try {
    throw;
  } catch (const c10::Error& error) {
    std::string message = firstLine(error.what_without_backtrace());
    return message.empty() ? "LibTorch failed without a message" : message;
  } catch (const std::bad_alloc&) {
    return "out of memory (the network, batch or file is too large for this machine)";
  } catch (const std::exception& error) {
    std::string message = firstLine(error.what());
    return message.empty() ? "the native engine failed without a message" : message;
  } catch (...) {
    return "the native engine failed with an unknown error";
  }
}
