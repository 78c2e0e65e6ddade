// ReadElfLineTable (dwarf_lines.h): finds the DWARF line sections of an ELF
// file (or its separate debug file), inflates compressed ones and parses
// them.
#include <elf.h>

#include <cstring>
#include <vector>

#include "base/hex.h"
#include "sdk/profile/dwarf_lines.h"
#include "sdk/profile/mapped_file.h"
#include "wire/compress/gzip.h"

namespace quartet::profile_internal {
namespace {

// Not in every libc's elf.h yet.
constexpr uint32_t kCompressZlib = 1;  // ELFCOMPRESS_ZLIB
constexpr uint32_t kCompressZstd = 2;  // ELFCOMPRESS_ZSTD

// The bytes of a whole ELF file.
struct FileBytes {
  const uint8_t* p = nullptr;
  size_t n = 0;

  const uint8_t* data() const { return p; }
  size_t size() const { return n; }
  bool Contains(uint64_t offset, uint64_t len) const { return offset <= n && len <= n - offset; }
};

struct ElfView {
  FileBytes file;
  std::vector<Elf64_Shdr> sections;
  std::string_view names;  // .shstrtab
  std::vector<CodeRange> code;

  std::string_view Name(const Elf64_Shdr& sh) const {
    if (sh.sh_name >= names.size()) return {};
    size_t end = names.find('\0', sh.sh_name);
    if (end == std::string_view::npos) return {};
    return names.substr(sh.sh_name, end - sh.sh_name);
  }
  const Elf64_Shdr* Find(std::string_view name) const {
    for (const Elf64_Shdr& sh : sections) {
      if (Name(sh) == name) return &sh;
    }
    return nullptr;
  }
};

Result<ElfView> ParseElf(FileBytes f, const std::string& path) {
  auto bad = [&](std::string_view what) {
    return Status::InvalidArgument(path + ": " + std::string(what));
  };
  Elf64_Ehdr eh;
  if (!f.Contains(0, sizeof eh)) return bad("shorter than an ELF header");
  std::memcpy(&eh, f.data(), sizeof eh);
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) return bad("not an ELF file");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB) {
    return bad("not a 64-bit little-endian ELF file");
  }
  ElfView v;
  v.file = f;
  if (eh.e_shoff == 0) return v;  // no section headers: no debug info
  if (eh.e_shentsize != sizeof(Elf64_Shdr)) return bad("unexpected e_shentsize");
  Elf64_Shdr first;
  if (!f.Contains(eh.e_shoff, sizeof first)) return bad("section headers past the end");
  std::memcpy(&first, f.data() + eh.e_shoff, sizeof first);
  // Past 0xff00 sections the count and the names' index live in section 0.
  uint64_t count = eh.e_shnum != 0 ? eh.e_shnum : first.sh_size;
  uint32_t names = eh.e_shstrndx != SHN_XINDEX ? eh.e_shstrndx : first.sh_link;
  if (count > f.size() / sizeof(Elf64_Shdr) ||
      !f.Contains(eh.e_shoff, count * sizeof(Elf64_Shdr))) {
    return bad("section headers past the end");
  }
  if (count == 0) return v;
  v.sections.resize(count);
  std::memcpy(v.sections.data(), f.data() + eh.e_shoff, count * sizeof(Elf64_Shdr));
  if (names < count && v.sections[names].sh_type == SHT_STRTAB) {
    const Elf64_Shdr& sh = v.sections[names];
    if (!f.Contains(sh.sh_offset, sh.sh_size)) return bad(".shstrtab past the end");
    v.names = std::string_view(reinterpret_cast<const char*>(f.data() + sh.sh_offset), sh.sh_size);
  }
  // Executable segments: where real sequences start.
  if (eh.e_phoff != 0 && eh.e_phentsize == sizeof(Elf64_Phdr) &&
      f.Contains(eh.e_phoff, uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr))) {
    for (int i = 0; i < eh.e_phnum; ++i) {
      Elf64_Phdr ph;
      std::memcpy(&ph, f.data() + eh.e_phoff + i * sizeof ph, sizeof ph);
      if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X) != 0) {
        v.code.push_back({ph.p_vaddr, ph.p_vaddr + ph.p_memsz});
      }
    }
  }
  return v;
}

std::string BuildId(const ElfView& v) {
  for (const Elf64_Shdr& sh : v.sections) {
    if (sh.sh_type != SHT_NOTE || !v.file.Contains(sh.sh_offset, sh.sh_size)) continue;
    const uint8_t* p = v.file.data() + sh.sh_offset;
    uint64_t left = sh.sh_size;
    while (left >= sizeof(Elf64_Nhdr)) {
      Elf64_Nhdr nh;
      std::memcpy(&nh, p, sizeof nh);
      uint64_t name_size = (uint64_t{nh.n_namesz} + 3) & ~uint64_t{3};
      uint64_t desc_size = (uint64_t{nh.n_descsz} + 3) & ~uint64_t{3};
      uint64_t total = sizeof nh + name_size + desc_size;
      if (total > left) break;
      if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
          std::memcmp(p + sizeof nh, "GNU", 4) == 0) {
        return HexEncode(std::string_view(reinterpret_cast<const char*>(p + sizeof nh + name_size),
                                          nh.n_descsz));
      }
      p += total;
      left -= total;
    }
  }
  return {};
}

// The bytes of section `name` (or of its .zdebug_ form), inflated into
// `storage` when compressed. Absent sections are empty.
Status SectionBytes(const ElfView& v, std::string_view name, const LineTableLimits& limits,
                    std::string* storage, std::string_view* out) {
  *out = {};
  const Elf64_Shdr* sh = v.Find(name);
  bool gnu_zlib = false;
  std::string zname;
  if (sh == nullptr && name.substr(0, 7) == ".debug_") {
    zname = ".zdebug_" + std::string(name.substr(7));
    sh = v.Find(zname);
    gnu_zlib = sh != nullptr;
  }
  if (sh == nullptr || sh->sh_type == SHT_NOBITS) return Status::Ok();
  std::string where(name);
  if (!v.file.Contains(sh->sh_offset, sh->sh_size)) {
    return Status::InvalidArgument(where + " past the end of the file");
  }
  std::string_view raw(reinterpret_cast<const char*>(v.file.data() + sh->sh_offset), sh->sh_size);
  uint64_t size = 0;
  if (gnu_zlib) {  // "ZLIB", 8-byte big-endian size, zlib stream
    if (raw.size() < 12 || raw.substr(0, 4) != "ZLIB") {
      return Status::InvalidArgument(zname + ": bad header");
    }
    for (int i = 4; i < 12; ++i) size = size << 8 | static_cast<uint8_t>(raw[i]);
    raw.remove_prefix(12);
  } else if ((sh->sh_flags & SHF_COMPRESSED) != 0) {
    Elf64_Chdr ch;
    if (raw.size() < sizeof ch) return Status::InvalidArgument(where + ": compression header");
    std::memcpy(&ch, raw.data(), sizeof ch);
    if (ch.ch_type == kCompressZstd) {
      return Status::FailedPrecondition(where + " is zstd-compressed (not supported)");
    }
    if (ch.ch_type != kCompressZlib) {
      return Status::InvalidArgument(where + ": compression type " + std::to_string(ch.ch_type));
    }
    size = ch.ch_size;
    raw.remove_prefix(sizeof ch);
  } else {
    if (raw.size() > limits.max_section_bytes) {
      return Status::ResourceExhausted(where + " larger than " +
                                       std::to_string(limits.max_section_bytes) + " bytes");
    }
    *out = raw;
    return Status::Ok();
  }
  if (size > limits.max_section_bytes) {
    return Status::ResourceExhausted(where + " inflates to more than " +
                                     std::to_string(limits.max_section_bytes) + " bytes");
  }
  auto inflated = compress::ZlibDecompress(raw, static_cast<size_t>(size));
  if (!inflated.ok()) return inflated.status().Annotate(where);
  if (inflated->size() != size) {
    return Status::DataLoss(where + ": inflated to " + std::to_string(inflated->size()) +
                            " bytes, header says " + std::to_string(size));
  }
  *storage = std::move(*inflated);
  *out = *storage;
  return Status::Ok();
}

Result<LineTable> Read(const std::string& path, FileBytes f, std::string_view expected_build_id,
                       const LineTableLimits& limits, const std::vector<CodeRange>* code,
                       bool may_follow) {
  ASSIGN_OR_RETURN(ElfView v, ParseElf(f, path));
  std::string id = expected_build_id.empty() ? std::string() : BuildId(v);
  if (id != expected_build_id) {
    return Status::FailedPrecondition(path + ": build id " + id + ", expected " +
                                      std::string(expected_build_id));
  }
  if (code == nullptr) code = &v.code;
  const Elf64_Shdr* line = v.Find(".debug_line");
  if (line == nullptr) line = v.Find(".zdebug_line");
  if (line == nullptr || line->sh_type == SHT_NOBITS) {
    std::string own = expected_build_id.empty() ? BuildId(v) : id;
    if (may_follow && own.size() > 2) {
      std::string debug =
          "/usr/lib/debug/.build-id/" + own.substr(0, 2) + "/" + own.substr(2) + ".debug";
      MappedFile file(debug);
      if (file.data() != nullptr) {
        return Read(debug, {file.data(), file.size()}, own, limits, code, false);
      }
    }
    return Status::NotFound(path + ": no .debug_line");
  }
  DebugLineSections s;
  std::string line_storage, line_str_storage, str_storage;
  RETURN_IF_ERROR(SectionBytes(v, ".debug_line", limits, &line_storage, &s.line));
  RETURN_IF_ERROR(SectionBytes(v, ".debug_line_str", limits, &line_str_storage, &s.line_str));
  RETURN_IF_ERROR(SectionBytes(v, ".debug_str", limits, &str_storage, &s.str));
  auto table = ParseDebugLine(s, limits, *code);
  if (!table.ok()) return table.status().Annotate(path);
  return table;
}

}  // namespace

Result<LineTable> ReadElfLineTable(const std::string& path, std::string_view expected_build_id,
                                   const LineTableLimits& limits) {
  MappedFile file(path);
  if (file.data() == nullptr) return Status::NotFound(path + ": cannot be read");
  return Read(path, {file.data(), file.size()}, expected_build_id, limits, nullptr, true);
}

Result<LineTable> ParseElfLineTable(std::string_view elf, const LineTableLimits& limits) {
  return Read("ELF image", {reinterpret_cast<const uint8_t*>(elf.data()), elf.size()}, {}, limits,
              nullptr, false);
}

}  // namespace quartet::profile_internal
