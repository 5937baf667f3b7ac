period "p" (setmetatable({ from = "2026-01-01" }, { __index = function(t, k) if k == "to" then error("to") end end }))
