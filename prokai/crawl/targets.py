"""Target lines and the targets they make: they live in `prokai.intake.targets` (below both the
crawler and the seized-account archive, which both record what messages name)."""

from prokai.intake.targets import (
    TargetKind,
    TargetParseError,
    TargetSpec,
    add_targets,
    find_target_mentions,
    parse_target,
    parse_targets,
)

__all__ = ["TargetKind", "TargetParseError", "TargetSpec", "add_targets", "find_target_mentions", "parse_target",
           "parse_targets"]
