#include "access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "json.h"
#include "render.h"

namespace watchstore::http {
namespace {

constexpr size_t kFlushBytes = 64 << 10;
constexpr size_t kMaxBufferedBytes = 8 << 20;  // past this, lines are dropped
constexpr absl::Duration kFlushInterval = absl::Milliseconds(200);

void WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere to report a failing log
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<AccessLog>> AccessLog::Open(absl::string_view sink) {
  if (sink == "off") return std::unique_ptr<AccessLog>(new AccessLog(-1, false));
  if (sink == "stderr" || sink.empty()) return std::unique_ptr<AccessLog>(new AccessLog(2, false));
  if (sink == "stdout") return std::unique_ptr<AccessLog>(new AccessLog(1, false));
  const std::string path(sink);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot open access log ", path, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<AccessLog>(new AccessLog(fd, true));
}

AccessLog::AccessLog(int fd, bool owns_fd) : fd_(fd), owns_fd_(owns_fd) {
  if (fd_ >= 0) flusher_ = std::thread([this] { FlushLoop(); });
}

AccessLog::~AccessLog() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (flusher_.joinable()) flusher_.join();
  Flush();
  if (owns_fd_) ::close(fd_);
}

void AccessLog::Write(const AccessLogEntry& e) {
  if (fd_ < 0) return;
  JsonOut out;
  out.StartObject();
  out.Field("time", Rfc3339(e.time));
  out.Field("method", e.method);
  out.Field("route", e.route);
  out.Field("status", e.status);
  out.Key("duration_ms");
  out.Raw(absl::StrFormat("%.3f", absl::ToDoubleMilliseconds(e.duration)));
  out.Field("bytes", static_cast<int64_t>(e.bytes));
  out.Field("peer", e.peer);
  out.Field("client", e.client.empty() ? e.peer : e.client);
  out.EndObject();
  std::string line = out.Take();
  line.push_back('\n');
  Append(std::move(line));
}

void AccessLog::Event(absl::string_view level, absl::string_view event, absl::string_view detail) {
  if (fd_ < 0) return;
  JsonOut out;
  out.StartObject();
  out.Field("time", Rfc3339(absl::Now()));
  out.Field("level", level);
  out.Field("event", event);
  if (!detail.empty()) out.Field("detail", detail);
  out.EndObject();
  std::string line = out.Take();
  line.push_back('\n');
  Append(std::move(line));
}

void AccessLog::Append(std::string line) {
  bool flush_now = false;
  {
    absl::MutexLock lock(&mu_);
    if (buffer_.size() + line.size() > kMaxBufferedBytes) return;
    buffer_.append(line);
    flush_now = buffer_.size() >= kFlushBytes;
  }
  if (flush_now) Flush();
}

void AccessLog::Flush() {
  if (fd_ < 0) return;
  absl::MutexLock write_lock(&write_mu_);
  std::string pending;
  {
    absl::MutexLock lock(&mu_);
    pending.swap(buffer_);
  }
  WriteAll(fd_, pending);
}

void AccessLog::FlushLoop() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stop_), kFlushInterval);
      if (stop_) return;
    }
    Flush();
  }
}

}  // namespace watchstore::http
