#include "tools/quartet/flags.h"

#include <cerrno>
#include <cstdlib>

namespace quartet::cli {

Result<Flags> Flags::Parse(const std::vector<FlagSpec>& specs,
                           const std::vector<std::string>& args) {
  Flags flags;
  auto find = [&](std::string_view name) -> const FlagSpec* {
    for (const auto& spec : specs) {
      if (spec.name == name) return &spec;
    }
    return nullptr;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg.substr(0, 2) != "--" || arg.size() == 2) {
      return Status::InvalidArgument("unexpected argument '" + std::string(arg) +
                                     "' (flags start with --)");
    }
    arg.remove_prefix(2);
    std::string name(arg.substr(0, arg.find('=')));
    const FlagSpec* spec = find(name);
    if (spec == nullptr) return Status::InvalidArgument("unknown flag --" + name);
    std::string value;
    if (size_t eq = arg.find('='); eq != std::string_view::npos) {
      value = std::string(arg.substr(eq + 1));
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Status::InvalidArgument("flag --" + name + " needs a value");
    }
    auto& slot = flags.values_[name];
    if (!slot.empty() && !spec->repeatable) {
      return Status::InvalidArgument("flag --" + name + " given more than once");
    }
    slot.push_back(std::move(value));
  }
  for (const auto& spec : specs) {
    if (spec.required && !flags.values_.contains(spec.name)) {
      return Status::InvalidArgument("missing required flag --" + spec.name);
    }
  }
  return flags;
}

std::optional<std::string> Flags::Get(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second.back();
}

std::string Flags::GetOr(std::string_view name, std::string fallback) const {
  return Get(name).value_or(std::move(fallback));
}

std::vector<std::string> Flags::GetAll(std::string_view name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

Result<std::optional<int64_t>> Flags::GetInt(std::string_view name) const {
  std::optional<std::string> raw = Get(name);
  if (!raw) return std::optional<int64_t>();
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(raw->c_str(), &end, 10);
  if (errno != 0 || end == raw->c_str() || *end != '\0') {
    return Status::InvalidArgument("flag --" + std::string(name) + ": '" + *raw +
                                   "' is not an integer");
  }
  return std::optional<int64_t>(v);
}

std::string Usage(const std::vector<FlagSpec>& specs) {
  std::string out;
  for (const auto& spec : specs) {
    std::string left = "  --" + spec.name;
    if (left.size() < 22) left.resize(22, ' ');
    out += left + spec.help + (spec.required ? " (required)" : "") + "\n";
  }
  return out;
}

}  // namespace quartet::cli
