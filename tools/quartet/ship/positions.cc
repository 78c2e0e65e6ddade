#include "tools/quartet/ship/positions.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

namespace quartet::ship {
namespace {

constexpr std::string_view kHeader = "quartet-ship-positions 1";

std::string ErrnoText(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

template <typename T>
bool ParseNumber(std::string_view* in, T* out) {
  auto [ptr, ec] = std::from_chars(in->data(), in->data() + in->size(), *out);
  if (ec != std::errc() || ptr == in->data() + in->size() || *ptr != ' ') return false;
  in->remove_prefix(static_cast<size_t>(ptr - in->data()) + 1);
  return true;
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Unavailable(ErrnoText("write", path));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

}  // namespace

Result<Positions> LoadPositions(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return Positions{};
    return Status::Unavailable(ErrnoText("open", path));
  }
  Positions positions;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (number == 1) {
      if (line != kHeader) {
        return Status::DataLoss(path + ":1: not a positions file (expected \"" +
                                std::string(kHeader) + "\")");
      }
      continue;
    }
    if (line.empty()) continue;
    std::string_view rest = line;
    FilePosition pos;
    if (!ParseNumber(&rest, &pos.file.dev) || !ParseNumber(&rest, &pos.file.ino) ||
        !ParseNumber(&rest, &pos.offset) || pos.offset < 0 || rest.empty()) {
      return Status::DataLoss(path + ":" + std::to_string(number) +
                              ": expected '<dev> <inode> <offset> <path>', got '" + line + "'");
    }
    positions[std::string(rest)] = pos;
  }
  return positions;
}

Status SavePositions(const std::string& path, const Positions& positions) {
  std::ostringstream out;
  out << kHeader << '\n';
  for (const auto& [file, pos] : positions) {
    if (file.find('\n') != std::string::npos) {
      return Status::InvalidArgument("positions: path contains a newline: " + file);
    }
    out << pos.file.dev << ' ' << pos.file.ino << ' ' << pos.offset << ' ' << file << '\n';
  }
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Unavailable(ErrnoText("create", tmp));
  Status st = WriteAll(fd, out.str(), tmp);
  if (st.ok() && ::fsync(fd) != 0) st = Status::Unavailable(ErrnoText("fsync", tmp));
  ::close(fd);
  if (!st.ok()) return st;
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::Unavailable(ErrnoText("rename to", path));
  }
  // The rename itself is durable only once the directory is synced.
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

}  // namespace quartet::ship
