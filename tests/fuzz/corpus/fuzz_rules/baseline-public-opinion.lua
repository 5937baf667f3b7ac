-- 政务舆情回应 (answering public opinion about government work).
-- Source: 国务院办公厅关于在政务公开工作中进一步做好政务舆情回应的通知
-- (国办发〔2016〕61号): 对涉及特别重大、重大突发事件的政务舆情，最迟要在
-- 5小时内发布权威信息，在24小时内举行新闻发布会; 对涉及群众切身利益的政务
-- 舆情，要在48小时内予以回应.
--
-- Events: respond (回应), release (发布权威信息), press (新闻发布会).
-- The 5-hour and 24-hour duties bind opinion about 重大 and 特别重大 events:
-- bl-public-opinion-major governs every opinion incident not reported as
-- 较大 or 一般, and an assessment of 较大 or 一般 lifts them.

procedure "bl-public-opinion" {
  title = "政务舆情回应",
  match = { category = "public_opinion" },
  obligations = {
    { id = "respond", title = "48小时内予以回应（国办发〔2016〕61号）",
      due = "48h", met_by = { type = { "respond", "release", "press" } },
      owner = "responsible", on_breach = "bl-standard" },
  },
}

local function lifted(ev)
  return ev.type == "assessment" and ev.grade ~= nil and ev.grade >= 3
end

procedure "bl-public-opinion-major" {
  title = "涉重大突发事件政务舆情",
  match = function(ev)
    local g = bl.grade(ev)
    return ev.category == "public_opinion" and (g == nil or g <= 2)
  end,
  obligations = {
    { id = "release", title = "最迟5小时内发布权威信息（国办发〔2016〕61号）",
      due = "5h",
      met_by = function(ev) return ev.type == "release" or lifted(ev) end,
      remind = { "1h" },
      owner = "responsible", on_breach = "bl-standard" },
    { id = "press", title = "24小时内举行新闻发布会（国办发〔2016〕61号）",
      due = "24h",
      met_by = function(ev) return ev.type == "press" or lifted(ev) end,
      owner = "responsible", on_breach = "bl-standard" },
  },
}
