-- Event types beyond the built-in ones (see rules/baseline/types.lua).
event_type "dispatch" { title = "派员接访劝返" }
