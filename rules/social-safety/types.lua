-- Event types beyond the built-in ones (see rules/baseline/types.lua).
event_type "selfcheck" { title = "每周风险隐患自查" }
