// Read positions of `quartet ship`: for each tailed path, which file (device
// and inode) was being read and the byte offset just past the last line the
// server acknowledged. Saved atomically (write to `<file>.tmp`, fsync, rename,
// fsync the directory) after every acknowledged push, so that a restart —
// even after kill -9 or a power cut — resumes exactly where the last
// acknowledged batch ended.
//
// File format (text, one entry per line, path last so it may hold spaces):
//   quartet-ship-positions 1
//   <dev> <inode> <offset> <path>
//
// Thread-safety: free functions and plain values; no shared state.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "base/status.h"

namespace quartet::ship {

// Identity of an open file: a rotated (renamed) file keeps it, a new file at
// the same path gets a new one.
struct FileId {
  uint64_t dev = 0;
  uint64_t ino = 0;
  friend bool operator==(const FileId&, const FileId&) = default;
};

struct FilePosition {
  FileId file;
  int64_t offset = 0;  // bytes consumed: just past the last acknowledged line
  friend bool operator==(const FilePosition&, const FilePosition&) = default;
};

using Positions = std::map<std::string, FilePosition>;

// Reads a positions file. A missing file is an empty map (first start);
// a malformed one is DataLoss naming the line.
Result<Positions> LoadPositions(const std::string& path);

// Writes `positions` atomically (see above). Paths containing a newline are
// InvalidArgument (the format is line based; `quartet ship` rejects them at
// startup).
Status SavePositions(const std::string& path, const Positions& positions);

}  // namespace quartet::ship
