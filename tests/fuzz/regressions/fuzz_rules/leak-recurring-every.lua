recurring "r" (setmetatable({ at = "17:00", every = "week" }, { __index = function(t, k)
  if k == "weekday" then error("weekday") end end }))
