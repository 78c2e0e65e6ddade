#include "sdk/profile/symbolizer.h"

#include <cxxabi.h>
#include <elf.h>
#include <link.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "base/hex.h"
#include "sdk/profile/mapped_file.h"

namespace quartet::profile_internal {
namespace {

void AppendSymbols(const MappedFile& f, const Elf64_Shdr& symtab, const Elf64_Shdr* sections,
                   uint16_t section_count, uintptr_t bias, std::vector<Symbol>* out) {
  if (symtab.sh_entsize != sizeof(Elf64_Sym) || symtab.sh_link >= section_count) return;
  if (!f.Contains(symtab.sh_offset, symtab.sh_size)) return;
  const Elf64_Shdr& strtab = sections[symtab.sh_link];
  if (!f.Contains(strtab.sh_offset, strtab.sh_size) || strtab.sh_size == 0) return;
  const char* strings = reinterpret_cast<const char*>(f.data() + strtab.sh_offset);
  size_t count = symtab.sh_size / sizeof(Elf64_Sym);
  const uint8_t* base = f.data() + symtab.sh_offset;
  for (size_t i = 0; i < count; ++i) {
    Elf64_Sym sym;
    std::memcpy(&sym, base + i * sizeof(Elf64_Sym), sizeof sym);
    int type = ELF64_ST_TYPE(sym.st_info);
    if (type != STT_FUNC && type != STT_GNU_IFUNC) continue;
    if (sym.st_shndx == SHN_UNDEF || sym.st_value == 0) continue;
    if (sym.st_name >= strtab.sh_size) continue;
    // The name must end inside the string table.
    const char* name = strings + sym.st_name;
    size_t max = strtab.sh_size - sym.st_name;
    size_t len = strnlen(name, max);
    if (len == max || len == 0) continue;
    out->push_back(Symbol{bias + sym.st_value, sym.st_size, std::string(name, len), {}});
  }
}

// The GNU build id in a note section of the file, lowercase hex; empty when
// there is none.
std::string NoteBuildId(const uint8_t* p, size_t left) {
  while (left >= sizeof(Elf64_Nhdr)) {
    Elf64_Nhdr nh;
    std::memcpy(&nh, p, sizeof nh);
    size_t name_size = (size_t{nh.n_namesz} + 3) & ~size_t{3};
    size_t desc_size = (size_t{nh.n_descsz} + 3) & ~size_t{3};
    if (name_size > left || desc_size > left) break;
    size_t total = sizeof nh + name_size + desc_size;
    if (total > left) break;
    if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
        std::memcmp(p + sizeof nh, "GNU", 4) == 0) {
      return HexEncode(
          std::string_view(reinterpret_cast<const char*>(p + sizeof nh + name_size), nh.n_descsz));
    }
    p += total;
    left -= total;
  }
  return {};
}

std::string FileBuildId(const MappedFile& f, const std::vector<Elf64_Shdr>& sections) {
  for (const Elf64_Shdr& sh : sections) {
    if (sh.sh_type != SHT_NOTE || !f.Contains(sh.sh_offset, sh.sh_size)) continue;
    std::string id = NoteBuildId(f.data() + sh.sh_offset, sh.sh_size);
    if (!id.empty()) return id;
  }
  return {};
}

// The GNU build id of a loaded object, from its PT_NOTE segments in memory.
std::string BuildId(const dl_phdr_info* info) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    std::string id =
        NoteBuildId(reinterpret_cast<const uint8_t*>(info->dlpi_addr + ph.p_vaddr), ph.p_memsz);
    if (!id.empty()) return id;
  }
  return {};
}

std::string SelfExe() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "/proc/self/exe";
  return std::string(buf, static_cast<size_t>(n));
}

struct ScanState {
  std::vector<std::pair<dl_phdr_info, std::string>> objects;  // info + name copy
  std::vector<std::vector<ElfW(Phdr)>> headers;
  std::vector<std::string> build_ids;
};

int CollectObject(dl_phdr_info* info, size_t, void* arg) {
  auto* st = static_cast<ScanState*>(arg);
  st->objects.emplace_back(*info, info->dlpi_name ? info->dlpi_name : "");
  st->headers.emplace_back(info->dlpi_phdr, info->dlpi_phdr + info->dlpi_phnum);
  st->build_ids.push_back(BuildId(info));
  return 0;
}

}  // namespace

std::string Demangle(const std::string& mangled) {
  if (mangled.size() < 2 || mangled[0] != '_' || mangled[1] != 'Z') return mangled;
  int status = 0;
  char* out = abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status);
  if (status != 0 || out == nullptr) {
    std::free(out);
    return mangled;
  }
  std::string s(out);
  std::free(out);
  return s;
}

std::vector<Symbol> ReadElfFunctionSymbols(const std::string& path, uintptr_t bias,
                                           std::string_view expected_build_id) {
  std::vector<Symbol> out;
  MappedFile f(path);
  if (f.data() == nullptr || !f.Contains(0, sizeof(Elf64_Ehdr))) return out;
  Elf64_Ehdr eh;
  std::memcpy(&eh, f.data(), sizeof eh);
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64) {
    return out;
  }
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 ||
      !f.Contains(eh.e_shoff, uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr))) {
    return out;
  }
  std::vector<Elf64_Shdr> sections(eh.e_shnum);
  std::memcpy(sections.data(), f.data() + eh.e_shoff, eh.e_shnum * sizeof(Elf64_Shdr));
  if (!expected_build_id.empty() && FileBuildId(f, sections) != expected_build_id) return out;
  for (const Elf64_Shdr& sh : sections) {
    if (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM) {
      AppendSymbols(f, sh, sections.data(), eh.e_shnum, bias, &out);
    }
  }
  // Sorted by address; of several names for one address (aliases in .symtab
  // and .dynsym) keep one, preferring one that says its size.
  std::sort(out.begin(), out.end(), [](const Symbol& a, const Symbol& b) {
    if (a.start != b.start) return a.start < b.start;
    if (a.size != b.size) return a.size > b.size;
    return a.mangled < b.mangled;
  });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Symbol& a, const Symbol& b) { return a.start == b.start; }),
            out.end());
  return out;
}

void Symbolizer::BeginBatch() {
  std::lock_guard<std::mutex> lock(mu_);
  scanned_this_batch_ = false;
}

size_t Symbolizer::module_count() {
  std::lock_guard<std::mutex> lock(mu_);
  if (modules_.empty()) ScanLocked();
  return modules_.size();
}

void Symbolizer::ScanLocked() {
  scanned_this_batch_ = true;
  ScanState st;
  dl_iterate_phdr(CollectObject, &st);
  std::map<uintptr_t, const Segment*> live;
  for (size_t i = 0; i < st.objects.size(); ++i) {
    const dl_phdr_info& info = st.objects[i].first;
    std::string path = st.objects[i].second;
    if (path.empty()) {
      if (i != 0) continue;  // only the first object (the executable) may be unnamed
      path = SelfExe();
    }
    std::string key = path + "@" + std::to_string(info.dlpi_addr) + "#" + st.build_ids[i];
    auto it = modules_.find(key);
    if (it == modules_.end()) {
      Loaded loaded;
      loaded.module = std::make_unique<Module>();
      Module* module = loaded.module.get();
      module->path = path;
      module->bias = info.dlpi_addr;
      module->build_id = st.build_ids[i];
      // The vDSO has no file; it keeps a mapping without names.
      if (path.rfind("linux-vdso", 0) != 0 && path.rfind("linux-gate", 0) != 0) {
        module->symbols = ReadElfFunctionSymbols(path, info.dlpi_addr, module->build_id);
      }
      for (const ElfW(Phdr) & ph : st.headers[i]) {
        if (ph.p_type != PT_LOAD || (ph.p_flags & PF_X) == 0) continue;
        Segment seg;
        seg.start = info.dlpi_addr + ph.p_vaddr;
        seg.limit = seg.start + ph.p_memsz;
        seg.file_offset = ph.p_offset;
        seg.module = module;
        loaded.segments.push_back(seg);
      }
      it = modules_.emplace(std::move(key), std::move(loaded)).first;
    }
    for (const Segment& seg : it->second.segments) live[seg.start] = &seg;
  }
  segments_ = std::move(live);
}

const Segment* Symbolizer::FindLocked(uintptr_t pc) const {
  auto it = segments_.upper_bound(pc);
  if (it == segments_.begin()) return nullptr;
  --it;
  return pc < it->second->limit ? it->second : nullptr;
}

Resolved Symbolizer::Resolve(uintptr_t pc) {
  std::lock_guard<std::mutex> lock(mu_);
  const Segment* seg = FindLocked(pc);
  if (seg == nullptr && !scanned_this_batch_) {
    ScanLocked();
    seg = FindLocked(pc);
  }
  Resolved r;
  r.segment = seg;
  if (seg == nullptr) return r;
  const std::vector<Symbol>& syms = seg->module->symbols;
  auto it = std::upper_bound(syms.begin(), syms.end(), pc,
                             [](uintptr_t v, const Symbol& s) { return v < s.start; });
  if (it == syms.begin()) return r;
  --it;
  // A sized symbol must cover pc; an unsized one (hand-written assembly) is
  // trusted up to the next symbol, within its segment.
  if (it->size != 0 ? pc >= it->start + it->size : it->start < seg->start) return r;
  if (it->demangled.empty()) it->demangled = Demangle(it->mangled);
  r.symbol = &*it;
  r.name = &it->demangled;
  const Module& m = *seg->module;
  if (const LineTable* lines = LinesLocked(m)) {
    SourceLine at, entry;
    bool have_at = lines->Lookup(pc - m.bias, &at) && at.file != nullptr;
    bool have_entry = lines->Lookup(it->start - m.bias, &entry) && entry.file != nullptr;
    if (have_at) {
      r.file = at.file;
      r.line = at.line;
    } else if (have_entry) {
      r.file = entry.file;  // the function's file, at no particular line
    }
    if (have_entry && r.file != nullptr && *r.file == *entry.file) r.start_line = entry.line;
  }
  return r;
}

const LineTable* Symbolizer::LinesLocked(const Module& m) {
  if (m.lines_read) return m.lines.get();
  m.lines_read = true;
  // Only objects with a file: not the vDSO.
  if (!options_.read_lines || m.path.empty() || m.path[0] != '/') {
    ++line_stats_.without_lines;
    return nullptr;
  }
  Result<LineTable> table = ReadElfLineTable(m.path, m.build_id, options_.line_limits);
  if (!table.ok()) {
    switch (table.status().code()) {
      case StatusCode::kNotFound:
        ++line_stats_.without_lines;
        break;
      case StatusCode::kResourceExhausted:
        ++line_stats_.over_bound;
        break;
      default:
        ++line_stats_.failed;
        break;
    }
    return nullptr;
  }
  size_t bytes = table->memory_bytes();
  if (line_stats_.table_bytes + bytes > options_.max_total_line_bytes) {
    ++line_stats_.over_bound;
    return nullptr;
  }
  line_stats_.table_bytes += bytes;
  ++line_stats_.with_lines;
  m.lines = std::make_unique<LineTable>(std::move(*table));
  return m.lines.get();
}

LineStats Symbolizer::line_stats() {
  std::lock_guard<std::mutex> lock(mu_);
  return line_stats_;
}

}  // namespace quartet::profile_internal
