-- A declaration made while another is being read.
procedure "outer" (setmetatable({ match = { type = "report" } }, { __index = function(t, k)
  procedure ("inner-" .. k) { match = { type = "report" } }
  policy ("pol-" .. k) { { notify = "office" } }
  return nil
end }))
