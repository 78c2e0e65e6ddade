#include "sdk/profile/dwarf_lines.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

namespace quartet::profile_internal {
namespace {

// DWARF constants (DWARF 5, section 7), by their standard names.
constexpr uint8_t DW_LNS_copy = 1;
constexpr uint8_t DW_LNS_advance_pc = 2;
constexpr uint8_t DW_LNS_advance_line = 3;
constexpr uint8_t DW_LNS_set_file = 4;
constexpr uint8_t DW_LNS_set_column = 5;
constexpr uint8_t DW_LNS_negate_stmt = 6;
constexpr uint8_t DW_LNS_set_basic_block = 7;
constexpr uint8_t DW_LNS_const_add_pc = 8;
constexpr uint8_t DW_LNS_fixed_advance_pc = 9;
constexpr uint8_t DW_LNS_set_prologue_end = 10;
constexpr uint8_t DW_LNS_set_epilogue_begin = 11;
constexpr uint8_t DW_LNS_set_isa = 12;
constexpr uint8_t DW_LNE_end_sequence = 1;
constexpr uint8_t DW_LNE_set_address = 2;
constexpr uint8_t DW_LNE_define_file = 3;
constexpr uint8_t DW_LNE_set_discriminator = 4;
constexpr uint64_t DW_LNCT_path = 1;
constexpr uint64_t DW_LNCT_directory_index = 2;
constexpr uint64_t DW_FORM_data2 = 0x05;
constexpr uint64_t DW_FORM_data4 = 0x06;
constexpr uint64_t DW_FORM_data8 = 0x07;
constexpr uint64_t DW_FORM_string = 0x08;
constexpr uint64_t DW_FORM_block = 0x09;
constexpr uint64_t DW_FORM_block1 = 0x0a;
constexpr uint64_t DW_FORM_data1 = 0x0b;
constexpr uint64_t DW_FORM_sdata = 0x0d;
constexpr uint64_t DW_FORM_strp = 0x0e;
constexpr uint64_t DW_FORM_udata = 0x0f;
constexpr uint64_t DW_FORM_strx = 0x1a;
constexpr uint64_t DW_FORM_data16 = 0x1e;
constexpr uint64_t DW_FORM_line_strp = 0x1f;
constexpr uint64_t DW_FORM_strx1 = 0x25;
constexpr uint64_t DW_FORM_strx2 = 0x26;
constexpr uint64_t DW_FORM_strx3 = 0x27;
constexpr uint64_t DW_FORM_strx4 = 0x28;

// A bounds-checked little-endian cursor; every read fails rather than
// passing the end.
class Cursor {
 public:
  Cursor(std::string_view data, size_t pos = 0) : data_(data), pos_(pos) {}

  size_t pos() const { return pos_; }
  size_t left() const { return data_.size() - pos_; }
  bool Skip(uint64_t n) {
    if (n > left()) return false;
    pos_ += static_cast<size_t>(n);
    return true;
  }
  bool Fixed(size_t n, uint64_t* v) {  // n <= 8
    if (n > left()) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; ++i) x |= uint64_t{static_cast<uint8_t>(data_[pos_ + i])} << (8 * i);
    pos_ += n;
    *v = x;
    return true;
  }
  bool U8(uint8_t* v) {
    uint64_t x;
    if (!Fixed(1, &x)) return false;
    *v = static_cast<uint8_t>(x);
    return true;
  }
  bool Uleb(uint64_t* v) {
    uint64_t x = 0;
    for (int shift = 0; pos_ < data_.size(); shift += 7) {
      uint8_t b = static_cast<uint8_t>(data_[pos_++]);
      // Bits past the 64th must be zero: a longer encoding is malformed.
      if (shift >= 64 || (shift == 63 && (b & 0x7e) != 0)) return false;
      x |= uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) {
        *v = x;
        return true;
      }
    }
    return false;
  }
  bool Sleb(int64_t* v) {
    uint64_t x = 0;
    int shift = 0;
    for (; pos_ < data_.size();) {
      uint8_t b = static_cast<uint8_t>(data_[pos_++]);
      if (shift >= 64) return false;
      x |= uint64_t{b & 0x7fu} << shift;
      shift += 7;
      if ((b & 0x80) == 0) {
        if (shift < 64 && (b & 0x40) != 0) x |= ~uint64_t{0} << shift;
        *v = static_cast<int64_t>(x);
        return true;
      }
    }
    return false;
  }
  bool CString(std::string_view* s) {
    size_t end = data_.find('\0', pos_);
    if (end == std::string_view::npos) return false;
    *s = data_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return true;
  }

 private:
  std::string_view data_;
  size_t pos_;
};

// The string at `offset` of a string section.
bool StringAt(std::string_view section, uint64_t offset, std::string_view* s) {
  if (offset >= section.size()) return false;
  size_t end = section.find('\0', static_cast<size_t>(offset));
  if (end == std::string_view::npos) return false;
  *s = section.substr(static_cast<size_t>(offset), end - static_cast<size_t>(offset));
  return true;
}

bool IsAbsolute(std::string_view p) { return !p.empty() && p[0] == '/'; }

std::string Join(std::string_view a, std::string_view b) {
  if (a.empty() || IsAbsolute(b)) return std::string(b);
  std::string out(a);
  if (out.back() != '/') out.push_back('/');
  out.append(b);
  return out;
}

// One unit's header: what the line program needs to run.
struct UnitHeader {
  uint16_t version = 0;
  bool dwarf64 = false;
  uint8_t address_size = 8;
  uint8_t min_inst_length = 1;
  bool default_is_stmt = true;
  int8_t line_base = 0;
  uint8_t line_range = 1;
  uint8_t opcode_base = 1;
  uint8_t standard_lengths[256] = {};
  std::vector<uint32_t> files;  // unit file index (0-based in v5) -> table index
};

}  // namespace

// Accumulates rows and interned file names under the memory bound.
class LineTableBuilder {
 public:
  LineTableBuilder(const LineTableLimits& limits, std::span<const CodeRange> code)
      : limits_(limits), code_(code) {}

  Result<uint32_t> File(std::string path) {
    auto it = index_.find(path);
    if (it != index_.end()) return it->second;
    bytes_ += path.size() + sizeof(std::string) + 32;  // + the index entry
    RETURN_IF_ERROR(CheckBound());
    uint32_t id = static_cast<uint32_t>(table_.files_.size());
    table_.files_.push_back(path);
    index_.emplace(std::move(path), id);
    return id;
  }

  Status Row(uint64_t address, uint32_t file, uint32_t line) {
    sequence_.push_back({address, file, line});
    bytes_ += sizeof(LineTable::Row);
    return CheckBound();
  }

  // Closes the current sequence at `end`, keeping it when it lies in code.
  Status EndSequence(uint64_t end) {
    // Rows at or past the end cover nothing (gcc emits one at the end
    // address); kept, they would outlive the sequence's end.
    while (!sequence_.empty() && sequence_.back().address >= end) {
      sequence_.pop_back();
      bytes_ -= sizeof(LineTable::Row);
    }
    if (!sequence_.empty() && InCode(sequence_.front().address)) {
      table_.rows_.insert(table_.rows_.end(), sequence_.begin(), sequence_.end());
      table_.rows_.push_back({end, LineTable::kGap, 0});
      bytes_ += sizeof(LineTable::Row);
    } else {
      bytes_ -= sequence_.size() * sizeof(LineTable::Row);
    }
    sequence_.clear();
    return CheckBound();
  }

  // A sequence without its end_sequence (a truncated program) is dropped.
  void DropOpenSequence() {
    bytes_ -= sequence_.size() * sizeof(LineTable::Row);
    sequence_.clear();
  }

  LineTable Finish();

 private:
  bool InCode(uint64_t address) const {
    if (code_.empty()) return true;
    for (const CodeRange& r : code_) {
      if (address >= r.start && address < r.limit) return true;
    }
    return false;
  }
  Status CheckBound() const {
    if (bytes_ <= limits_.max_table_bytes) return Status::Ok();
    return Status::ResourceExhausted("line table larger than " +
                                     std::to_string(limits_.max_table_bytes) + " bytes");
  }

  const LineTableLimits& limits_;
  std::span<const CodeRange> code_;
  LineTable table_;
  std::vector<LineTable::Row> sequence_;
  std::unordered_map<std::string, uint32_t> index_;
  size_t bytes_ = 0;
};

LineTable LineTableBuilder::Finish() {
  std::vector<LineTable::Row>& rows = table_.rows_;
  // By address; at one address a sequence's end comes before the rows of
  // the next sequence, and rows keep program order, so the last row at an
  // address is the one that covers the instruction there.
  std::stable_sort(rows.begin(), rows.end(), [](const LineTable::Row& a, const LineTable::Row& b) {
    if (a.address != b.address) return a.address < b.address;
    return (a.file == LineTable::kGap) > (b.file == LineTable::kGap);
  });
  size_t out = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i + 1 < rows.size() && rows[i + 1].address == rows[i].address) continue;
    // A row saying what the previous one said only splits its range.
    if (out > 0 && rows[out - 1].file == rows[i].file && rows[out - 1].line == rows[i].line) {
      continue;
    }
    rows[out++] = rows[i];
  }
  rows.resize(out);
  rows.shrink_to_fit();
  return std::move(table_);
}

namespace {

Status Malformed(size_t unit_offset, std::string_view what) {
  return Status::InvalidArgument(".debug_line unit at offset " + std::to_string(unit_offset) +
                                 ": " + std::string(what));
}

// One attribute of a DWARF 5 directory or file entry.
struct FormValue {
  std::string_view str;
  uint64_t num = 0;
};

bool ReadForm(Cursor* c, uint64_t form, const UnitHeader& h, const DebugLineSections& s,
              FormValue* v, std::string* error) {
  uint64_t n = 0;
  switch (form) {
    case DW_FORM_string:
      if (!c->CString(&v->str)) break;
      return true;
    case DW_FORM_line_strp:
    case DW_FORM_strp:
      if (!c->Fixed(h.dwarf64 ? 8 : 4, &n)) break;
      if (!StringAt(form == DW_FORM_strp ? s.str : s.line_str, n, &v->str)) {
        *error = "string offset " + std::to_string(n) + " outside " +
                 (form == DW_FORM_strp ? ".debug_str" : ".debug_line_str");
        return false;
      }
      return true;
    // Indexes into .debug_str_offsets (a split-DWARF form): skipped, so
    // the name stays unknown but the entries after it still parse.
    case DW_FORM_strx:
      if (!c->Uleb(&n)) break;
      return true;
    case DW_FORM_strx1:
    case DW_FORM_strx2:
    case DW_FORM_strx3:
    case DW_FORM_strx4:
      if (!c->Skip(form - DW_FORM_strx1 + 1)) break;
      return true;
    case DW_FORM_udata:
      if (!c->Uleb(&v->num)) break;
      return true;
    case DW_FORM_sdata: {
      int64_t x;
      if (!c->Sleb(&x)) break;
      v->num = static_cast<uint64_t>(x);
      return true;
    }
    case DW_FORM_data1:
    case DW_FORM_data2:
    case DW_FORM_data4:
    case DW_FORM_data8: {
      size_t size = form == DW_FORM_data1   ? 1
                    : form == DW_FORM_data2 ? 2
                    : form == DW_FORM_data4 ? 4
                                            : 8;
      if (!c->Fixed(size, &v->num)) break;
      return true;
    }
    case DW_FORM_data16:  // an MD5
      if (!c->Skip(16)) break;
      return true;
    case DW_FORM_block:
      if (!c->Uleb(&n) || !c->Skip(n)) break;
      return true;
    case DW_FORM_block1:
      if (!c->Fixed(1, &n) || !c->Skip(n)) break;
      return true;
    default:
      *error = "unsupported form " + std::to_string(form) + " in an entry format";
      return false;
  }
  *error = "entry truncated";
  return false;
}

// Reads a DWARF 5 entry list (directories or files): its format, then the
// entries, each as (path, directory index).
Status ReadEntries(Cursor* c, const UnitHeader& h, const DebugLineSections& s, size_t unit,
                   std::string_view what, std::vector<std::pair<std::string_view, uint64_t>>* out) {
  uint8_t format_count;
  if (!c->U8(&format_count)) return Malformed(unit, std::string(what) + " format truncated");
  std::vector<std::pair<uint64_t, uint64_t>> format(format_count);
  for (auto& [type, form] : format) {
    if (!c->Uleb(&type) || !c->Uleb(&form)) {
      return Malformed(unit, std::string(what) + " format truncated");
    }
  }
  uint64_t count;
  if (!c->Uleb(&count)) return Malformed(unit, std::string(what) + " count truncated");
  // Every entry takes at least one byte unless the format is empty.
  if (format_count > 0 && count > c->left()) {
    return Malformed(unit,
                     std::string(what) + " count " + std::to_string(count) + " exceeds the header");
  }
  if (format_count == 0 && count > 0) {
    return Malformed(unit, std::string(what) + " entries have no format");
  }
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view path;
    uint64_t dir = 0;
    for (const auto& [type, form] : format) {
      FormValue v;
      std::string error;
      if (!ReadForm(c, form, h, s, &v, &error)) {
        return Malformed(unit, std::string(what) + " " + std::to_string(i) + ": " + error);
      }
      if (type == DW_LNCT_path) path = v.str;
      if (type == DW_LNCT_directory_index) dir = v.num;
    }
    out->emplace_back(path, dir);
  }
  return Status::Ok();
}

// The directory and file tables of one unit, as table file ids in h->files.
Status ReadFileTables(Cursor* c, UnitHeader* h, const DebugLineSections& s, size_t unit,
                      LineTableBuilder* b) {
  std::vector<std::pair<std::string_view, uint64_t>> dirs, files;
  std::string_view comp_dir;  // the directory relative paths hang from
  if (h->version >= 5) {
    RETURN_IF_ERROR(ReadEntries(c, *h, s, unit, "directory", &dirs));
    RETURN_IF_ERROR(ReadEntries(c, *h, s, unit, "file", &files));
    if (!dirs.empty()) comp_dir = dirs[0].first;
  } else {
    // Directory 0 is the compilation directory, named only in .debug_info:
    // its files stay relative.
    dirs.emplace_back(std::string_view(), 0);
    for (;;) {
      std::string_view d;
      if (!c->CString(&d)) return Malformed(unit, "include_directories truncated");
      if (d.empty()) break;
      dirs.emplace_back(d, 0);
    }
    files.emplace_back(std::string_view(), 0);  // file numbers start at 1
    for (;;) {
      std::string_view name;
      uint64_t dir, mtime, length;
      if (!c->CString(&name)) return Malformed(unit, "file_names truncated");
      if (name.empty()) break;
      if (!c->Uleb(&dir) || !c->Uleb(&mtime) || !c->Uleb(&length)) {
        return Malformed(unit, "file_names entry truncated");
      }
      files.emplace_back(name, dir);
    }
  }
  h->files.clear();
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& [name, dir] = files[i];
    if (name.empty()) {
      h->files.push_back(LineTable::kNoFile);
      continue;
    }
    std::string_view d = dir < dirs.size() ? dirs[dir].first : std::string_view();
    std::string path = Join(IsAbsolute(d) ? std::string_view() : comp_dir, Join(d, name));
    ASSIGN_OR_RETURN(uint32_t id, b->File(std::move(path)));
    h->files.push_back(id);
  }
  return Status::Ok();
}

}  // namespace

namespace {

// Parses the unit at `start`; on success *next is the offset after it.
Status ParseUnit(const DebugLineSections& s, size_t start, LineTableBuilder* b, size_t* next) {
  Cursor c(s.line, start);
  UnitHeader h;
  uint64_t length;
  if (!c.Fixed(4, &length)) return Malformed(start, "unit_length truncated");
  if (length == 0xffffffffu) {
    h.dwarf64 = true;
    if (!c.Fixed(8, &length)) return Malformed(start, "64-bit unit_length truncated");
  } else if (length >= 0xfffffff0u) {
    return Malformed(start, "reserved unit_length " + std::to_string(length));
  }
  if (length > c.left()) {
    return Malformed(start, "unit_length " + std::to_string(length) + " past the section end");
  }
  const size_t end = c.pos() + static_cast<size_t>(length);
  *next = end;
  // The rest of the unit only: nothing may be read past its end.
  Cursor u(s.line.substr(0, end), c.pos());
  uint64_t version;
  if (!u.Fixed(2, &version)) return Malformed(start, "version truncated");
  if (version < 2 || version > 5) {
    return Malformed(start, "unsupported version " + std::to_string(version));
  }
  h.version = static_cast<uint16_t>(version);
  if (h.version >= 5) {
    uint8_t segment_selector_size;
    if (!u.U8(&h.address_size) || !u.U8(&segment_selector_size)) {
      return Malformed(start, "address_size truncated");
    }
    if (h.address_size != 4 && h.address_size != 8) {
      return Malformed(start, "address_size " + std::to_string(h.address_size));
    }
  }
  uint64_t header_length;
  if (!u.Fixed(h.dwarf64 ? 8 : 4, &header_length)) {
    return Malformed(start, "header_length truncated");
  }
  if (header_length > u.left()) return Malformed(start, "header_length past the unit end");
  const size_t program = u.pos() + static_cast<size_t>(header_length);
  uint8_t max_ops = 1, is_stmt, line_base;
  if (!u.U8(&h.min_inst_length) || (h.version >= 4 && !u.U8(&max_ops)) || !u.U8(&is_stmt) ||
      !u.U8(&line_base) || !u.U8(&h.line_range) || !u.U8(&h.opcode_base)) {
    return Malformed(start, "header truncated");
  }
  h.default_is_stmt = is_stmt != 0;
  h.line_base = static_cast<int8_t>(line_base);
  if (h.line_range == 0) return Malformed(start, "line_range 0");
  if (h.opcode_base == 0) return Malformed(start, "opcode_base 0");
  for (int i = 1; i < h.opcode_base; ++i) {
    if (!u.U8(&h.standard_lengths[i])) return Malformed(start, "standard_opcode_lengths truncated");
  }
  RETURN_IF_ERROR(ReadFileTables(&u, &h, s, start, b));
  if (u.pos() > program) return Malformed(start, "file tables run past header_length");

  // The line program (DWARF 5, 6.2.5). op_index is only meaningful for VLIW
  // targets and is not tracked.
  Cursor p(s.line.substr(0, end), program);
  // line wraps as unsigned: a producer's nonsense must not be signed overflow.
  uint64_t address = 0, file = 1, line = 1;
  auto reset = [&] {
    address = 0;
    file = 1;
    line = 1;
  };
  auto emit = [&]() -> Status {
    uint32_t id = file < h.files.size() ? h.files[file] : LineTable::kNoFile;
    uint32_t l = line <= 0x7fffffff ? static_cast<uint32_t>(line) : 0;
    return b->Row(address, id, l);
  };
  while (p.left() > 0) {
    const size_t at = p.pos();
    uint8_t op;
    (void)p.U8(&op);
    auto truncated = [&](const char* name) {
      return Malformed(start,
                       std::string(name) + " at offset " + std::to_string(at) + " truncated");
    };
    if (op >= h.opcode_base) {  // special opcode
      uint8_t adjusted = op - h.opcode_base;
      address += uint64_t{h.min_inst_length} * (adjusted / h.line_range);
      line += static_cast<uint64_t>(int64_t{h.line_base} + adjusted % h.line_range);
      RETURN_IF_ERROR(emit());
      continue;
    }
    uint64_t n = 0;
    int64_t delta = 0;
    switch (op) {
      case 0: {  // extended opcode
        uint64_t len;
        uint8_t sub = 0;
        if (!p.Uleb(&len) || len == 0 || len > p.left()) return truncated("extended opcode");
        const size_t op_end = p.pos() + static_cast<size_t>(len);
        (void)p.U8(&sub);
        Cursor arg(s.line.substr(0, op_end), p.pos());
        if (sub == DW_LNE_end_sequence) {
          RETURN_IF_ERROR(b->EndSequence(address));
          reset();
        } else if (sub == DW_LNE_set_address) {
          // The operand is address_size bytes (v5); before v5 the opcode's
          // length says it.
          size_t size = static_cast<size_t>(len - 1);
          if ((size != 4 && size != 8) || (h.version >= 5 && size != h.address_size)) {
            return Malformed(start, "set_address of " + std::to_string(size) + " bytes at offset " +
                                        std::to_string(at));
          }
          (void)arg.Fixed(size, &address);
        } else if (sub == DW_LNE_define_file && h.version <= 4) {
          std::string_view name;
          uint64_t dir, mtime, length;
          if (!arg.CString(&name) || !arg.Uleb(&dir) || !arg.Uleb(&mtime) || !arg.Uleb(&length)) {
            return truncated("define_file");
          }
          // Relative to an include directory the header named; kept as given.
          ASSIGN_OR_RETURN(uint32_t id, b->File(std::string(name)));
          h.files.push_back(id);
        } else if (sub == DW_LNE_set_discriminator) {
          if (!arg.Uleb(&n)) return truncated("set_discriminator");
        }
        // Unknown extended opcodes (vendor ones) are skipped by their length.
        p = Cursor(s.line.substr(0, end), op_end);
        break;
      }
      case DW_LNS_copy:
        RETURN_IF_ERROR(emit());
        break;
      case DW_LNS_advance_pc:
        if (!p.Uleb(&n)) return truncated("advance_pc");
        address += h.min_inst_length * n;
        break;
      case DW_LNS_advance_line:
        if (!p.Sleb(&delta)) return truncated("advance_line");
        // Wrapping is harmless: a line outside 1..2^31 is reported as 0.
        line += static_cast<uint64_t>(delta);
        break;
      case DW_LNS_set_file:
        if (!p.Uleb(&file)) return truncated("set_file");
        break;
      case DW_LNS_set_column:
      case DW_LNS_set_isa:
        if (!p.Uleb(&n)) return truncated("operand");
        break;
      case DW_LNS_negate_stmt:
      case DW_LNS_set_basic_block:
      case DW_LNS_set_prologue_end:
      case DW_LNS_set_epilogue_begin:
        break;
      case DW_LNS_const_add_pc:
        address += uint64_t{h.min_inst_length} * ((255u - h.opcode_base) / h.line_range);
        break;
      case DW_LNS_fixed_advance_pc:
        if (!p.Fixed(2, &n)) return truncated("fixed_advance_pc");
        address += n;
        break;
      default:  // a standard opcode newer than this reader: skip its operands
        for (int i = 0; i < h.standard_lengths[op]; ++i) {
          if (!p.Uleb(&n)) return truncated("operand");
        }
        break;
    }
  }
  b->DropOpenSequence();
  return Status::Ok();
}

}  // namespace

bool LineTable::Lookup(uint64_t address, SourceLine* out) const {
  auto it = std::upper_bound(rows_.begin(), rows_.end(), address,
                             [](uint64_t a, const Row& r) { return a < r.address; });
  if (it == rows_.begin()) return false;
  --it;
  if (it->file == kGap) return false;
  out->file = it->file < files_.size() ? &files_[it->file] : nullptr;
  out->line = it->line;
  return true;
}

size_t LineTable::memory_bytes() const {
  size_t n = rows_.capacity() * sizeof(Row) + files_.capacity() * sizeof(std::string);
  for (const std::string& f : files_) n += f.capacity();
  return n;
}

Result<LineTable> ParseDebugLine(const DebugLineSections& sections, const LineTableLimits& limits,
                                 std::span<const CodeRange> code) {
  LineTableBuilder b(limits, code);
  size_t at = 0;
  while (at < sections.line.size()) {
    size_t next = at;
    RETURN_IF_ERROR(ParseUnit(sections, at, &b, &next));
    at = next;
  }
  return b.Finish();
}

}  // namespace quartet::profile_internal
