// Internal to server/alert: the syntax tree and values of template.h, shared
// by the parser (template.cc) and the executor (template_exec.cc).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "server/alert/template.h"

namespace quartet::alert {
namespace template_internal {

using LabelMap = std::map<std::string, std::string>;

struct Val {
  enum Kind { kNil, kBool, kInt, kFloat, kString, kMap, kData } kind = kNil;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string s;
  const LabelMap* m = nullptr;
  const TemplateData* data = nullptr;

  static Val Bool(bool v) { return Val{.kind = kBool, .b = v}; }
  static Val Int(int64_t v) { return Val{.kind = kInt, .i = v}; }
  static Val Float(double v) { return Val{.kind = kFloat, .f = v}; }
  static Val Str(std::string v) { return Val{.kind = kString, .s = std::move(v)}; }
  static Val Map(const LabelMap* v) { return Val{.kind = kMap, .m = v}; }
};

struct Pipe;

struct Operand {
  enum Kind { kDot, kField, kVar, kString, kNumber, kBool, kNil, kParen, kFunc } kind = kNil;
  std::string name;                 // variable ("$x", "$"), function
  std::vector<std::string> fields;  // .A.B after dot, a variable or parens
  Val literal;
  std::shared_ptr<Pipe> pipe;  // kParen
};

struct Command {
  std::vector<Operand> args;
  size_t pos = 0;
  std::string src;
};

struct Pipe {
  std::string decl;     // "$x" of "$x := ..." / "$x = ..."
  bool define = false;  // := (else =)
  std::vector<Command> cmds;
};

}  // namespace template_internal

struct Template::Node {
  enum Kind { kText, kAction, kIf, kWith } kind = kText;
  std::string text;
  template_internal::Pipe pipe;
  std::vector<Node> list, else_list;
};

namespace template_internal {
// Helpers of both files.
const char* TypeName(const Val& v);
std::string Print(const Val& v);  // Go's %v
bool Truth(const Val& v);         // Go template truth (if/with/and/or/not)
std::string G4(double v);         // Go's %.4g
Result<double> ToFloat(const Val& v);
Result<std::string> ExecuteTemplate(std::string_view name, std::string_view text,
                                    const std::vector<Template::Node>& list,
                                    const TemplateData& data);
}  // namespace template_internal

}  // namespace quartet::alert
