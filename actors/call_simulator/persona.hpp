#pragma once
// The deterministic persona `alf-appointment-setter@0.1.0` (domain.md §8): disclosure gate,
// extraction, truncation, escalation, disposition and summary from the conversation turns.

#include <string>
#include <string_view>
#include <vector>

#include "messages/call.hpp"

namespace opencloser {

inline constexpr std::string_view persona_version = "alf-appointment-setter@0.1.0";

/// The first persona turn must equal this byte for byte (domain.md §8.1).
inline constexpr std::string_view canonical_disclosure =
    "Hi, this is an AI assistant calling on behalf of Medx, the senior-living placement service. "
    "Is this a good time to chat for two minutes?";

/// Runs the persona on the ordered turns. Pure: same turns, same output.
persona_output run_persona(const std::vector<conversation_turn>& turns);

/// One line `[<role>] <text>` per turn, joined with LF, no trailing LF (the redactor adds it).
std::string render_transcript(const std::vector<conversation_turn>& turns);

}  // namespace opencloser
