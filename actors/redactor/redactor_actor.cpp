#include "actors/redactor/redactor_actor.hpp"

namespace opencloser {

redactor_actor::behavior_type redactor(redactor_actor::pointer, transcript_redactor compiled) {
  return {
      [compiled = std::move(compiled)](redact_atom, const std::string& rendered) {
        redaction_result result;
        if (auto text = compiled.transcript_file_text(rendered))
          result.transcript_file = std::move(*text);
        return result;
      },
  };
}

}  // namespace opencloser
