// FileTailer: follows one log file by path the way `tail -F` does, handing
// out complete lines with the file position just past each, so that the
// caller can record what the server acknowledged (positions.h).
//
//  - Appends are read as they come; a partial last line waits for its newline.
//  - Rename rotation (the path now names a new file): the old file is read to
//    its end first; once it stopped growing for one poll, its unterminated
//    last line (if any) is emitted and the tailer switches to the new file
//    from offset 0. A path that disappears keeps the old file open until a new
//    file appears.
//  - copytruncate (the file got shorter than what was read): restart at 0.
//  - Restore() resumes at a saved position; when the path now names another
//    file, the saved file is looked for among its siblings (rotated while we
//    were down) and finished first.
//  - Lines longer than max_line_bytes are cut there (the rest up to the
//    newline is skipped and counted).
// Known limit: an inode reused by a new file that is already longer than the
// saved offset looks like the old file (as with every inode-based tailer).
//
// Thread-safety: not thread-safe; one owner.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "tools/quartet/ship/positions.h"

namespace quartet::ship {

struct TailedLine {
  std::string text;  // without the newline (and without a trailing '\r')
  int64_t read_time_ns = 0;
  FilePosition end;  // the file it came from and the offset just past it
};

class FileTailer {
 public:
  FileTailer(std::string path, size_t max_line_bytes);
  ~FileTailer();
  FileTailer(const FileTailer&) = delete;
  FileTailer& operator=(const FileTailer&) = delete;

  // Resumes at `pos` (call before the first Poll).
  void Restore(const FilePosition& pos);

  // Appends the complete lines available now, stopping once about
  // `max_bytes` have been read. Errors are I/O failures other than the file
  // not existing (which just yields nothing).
  Status Poll(size_t max_bytes, std::vector<TailedLine>* out);

  const std::string& path() const { return path_; }
  uint64_t truncations() const { return truncations_; }
  uint64_t rotations() const { return rotations_; }
  uint64_t cut_lines() const { return cut_lines_; }

 private:
  bool OpenPath(int64_t offset);
  void Emit(std::string text, int64_t end_offset, std::vector<TailedLine>* out);
  // Reads from fd_ until EOF or the byte budget; returns bytes read or -1.
  int64_t ReadAvailable(size_t max_bytes, std::vector<TailedLine>* out);
  void CloseFile();

  std::string path_;
  size_t max_line_bytes_;
  int fd_ = -1;
  FileId id_;
  int64_t read_offset_ = 0;  // next byte to read from fd_
  std::string partial_;      // bytes of the unterminated line being read
  bool skipping_ = false;    // partial_ hit max_line_bytes: drop until newline
  bool restored_ = false;
  FilePosition restore_;
  uint64_t truncations_ = 0, rotations_ = 0, cut_lines_ = 0;
};

}  // namespace quartet::ship
