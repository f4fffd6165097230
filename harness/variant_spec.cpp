// Loading a lab's buggy variants: one folder per variant under buggy/, each
// with a variant.yaml read through YamlField, so its errors look like
// lab.yaml's ("<file>:<line>: <field>: <problem>"). Files directly inside
// buggy/ (a README) are not variants and are left alone; a folder without
// variant.yaml is an error, because a variant nobody declared is a test
// nobody runs.
#include "harness/variant_spec.h"

#include <algorithm>

#include "harness/yaml_field.h"

namespace ipcgrade {
namespace fs = std::filesystem;
namespace {

Result<std::vector<std::string>> read_test_names(const YamlField& field,
                                                 const LabSpec& lab) {
  Result<std::vector<YamlField>> items = read_list(field);
  if (!items.ok()) {
    return items.status();
  }
  std::vector<std::string_view> known;
  for (const TestSpec& test : lab.tests) {
    known.push_back(test.name);
  }
  std::vector<std::string> names;
  for (const YamlField& item : *items) {
    Result<std::string> name = read_string(item);
    if (!name.ok()) {
      return name.status();
    }
    if (std::find(known.begin(), known.end(), *name) == known.end()) {
      return item.error("lab '" + lab.name + "' has no test called '" + *name +
                        "'" + suggestion_text(*name, known));
    }
    names.push_back(*name);
  }
  return names;
}

Result<VariantSpec> load_variant(const fs::path& dir, const LabSpec& lab) {
  const fs::path file = dir / "variant.yaml";
  const std::string shown = file.string();
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    return Status::InvalidInput(dir.string() +
                                ": a buggy variant folder needs a variant.yaml "
                                "(with description and finding)");
  }
  Result<YamlDocument> document = load_yaml_document(
      file, shown, "a variant needs at least description and finding");
  if (!document.ok()) {
    return document.status();
  }
  const YamlField& root = document->root;
  Result<YamlMap> map = YamlMap::read(
      root,
      {"description", "finding", "caught_by", "interim_finding", "pending"});
  if (!map.ok()) {
    return map.status();
  }
  VariantSpec variant;
  variant.name = dir.filename().string();
  variant.dir = dir;
  Status s = first_error({
      map->require("description").status(),
      map->require("finding").status(),
      read_member(*map, "description", read_nonempty_string,
                  &variant.description),
      read_member(*map, "finding", read_finding_kind, &variant.finding),
      read_member(
          *map, "caught_by",
          [&](const YamlField& f) { return read_test_names(f, lab); },
          &variant.caught_by),
      read_member(*map, "interim_finding", read_finding_kind,
                  &variant.interim_finding),
      read_member(*map, "pending", read_string, &variant.pending),
  });
  if (!s.ok()) {
    return s;
  }
  return variant;
}

}  // namespace

Result<std::vector<VariantSpec>> load_variants(const LabSpec& lab) {
  const fs::path buggy = lab.dir / "buggy";
  std::error_code ec;
  if (!fs::exists(buggy, ec)) {
    return std::vector<VariantSpec>();
  }
  if (!fs::is_directory(buggy, ec)) {
    return Status::InvalidInput(buggy.string() +
                                ": expected a folder of buggy variants");
  }
  std::vector<fs::path> dirs;
  for (fs::directory_iterator it(buggy, ec);
       !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code entry_ec;
    if (it->is_directory(entry_ec)) {
      dirs.push_back(it->path());
    }
  }
  if (ec) {
    return Status::InvalidInput(buggy.string() +
                                ": cannot list: " + ec.message());
  }
  std::sort(dirs.begin(), dirs.end());

  std::vector<VariantSpec> variants;
  try {
    for (const fs::path& dir : dirs) {
      Result<VariantSpec> variant = load_variant(dir, lab);
      if (!variant.ok()) {
        return variant.status();
      }
      variants.push_back(std::move(*variant));
    }
  } catch (const std::exception& e) {
    // As in load_lab: nothing above asks yaml-cpp for a conversion, so this
    // is our bug, reported instead of crashing.
    return Status::Internal(buggy.string() +
                            ": the variant loader failed: " + e.what());
  }
  return variants;
}

}  // namespace ipcgrade
