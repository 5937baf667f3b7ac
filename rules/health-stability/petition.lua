-- 信访与越级上访 (petitions, and petitions that go to the city, the province
-- or Beijing).
-- 003 二(三): 缠访闹访或以到市、赴省、进京上访相要挟…严格落实稳控措施.
-- 003 二(五): 一旦发生到市赴省进京上访，迅速反应，启动应急处置"4+2"工作机制，
--   相关责任单位要做好失控人员的查找、劝返工作，如有进京赴省到市的上访人员，
--   相关责任单位的主要负责人及有关责任人、县卫健委相关责任领导，要立即做好进京
--   赴省到市接访劝返工作，严格做到接访迅速、劝返安全带回，防止回流.
-- 003 三(三): 造成赴省进京上访、集访…对负有责任的主要领导和直接责任人进行责任
--   追究.
--
-- Where a petitioner heads (attrs.destination: "city" 到市, "province" 赴省,
-- "beijing" 进京) is this pack's grade: 到市 较大, 赴省 重大, 进京 特别重大.
-- Each step up tells more of the wartime command roster (003 附件1), and the
-- head of the unit the petitioners come from (相关责任单位的主要负责人,
-- "unit.principal") at each step; 赴省 and 进京 also reach the county through
-- the baseline (bl-general).  A later
-- event with a new destination raises the grade the same way.
-- 立即做好接访劝返工作: once a petitioner heads for the city or further
-- (grade 较大 or worse) the receiving team must be under way within
-- bl.AT_ONCE (1 hour: "立即" has no figure); an event of type "dispatch"
-- meets it.  It is the unit head's to do, so its reminder goes to them
-- (owner "unit.principal"); a breach climbs hs-chain at the commission.
-- It is the obligation of grade 3: owed from the opening when the report
-- names the destination, and from the event that first names one
-- otherwise, and counted from that moment (from = "graded"): the clause's
-- trigger is the petitioner heading off (一旦发生到市赴省进京上访，迅速反应;
-- 如有…上访人员…立即), so 立即 runs from when that is learnt, not from when
-- the petition was first reported.  A later
-- destination nearer home (进京 → 赴省) loosens nothing; one further away
-- owes no second dispatch.
-- The baseline's bl-petition adds the 15/60/90-day handling limits.

local DESTINATION = {
  city = 3, province = 2, beijing = 1,
  ["到市"] = 3, ["赴省"] = 2, ["进京"] = 1,
  ["市"] = 3, ["省"] = 2, ["北京"] = 1,
}

local function destination_grade(ev)
  local d = ev.attrs and ev.attrs.destination
  return type(d) == "string" and DESTINATION[d] or nil
end

procedure "hs-petition" {
  title = "卫生健康系统信访维稳事件",
  match = { category = "petition" },
  on_open = { notify = { "petition-office", "office" } },
  obligations = {
    -- 及时分析研判，强化信息报告: a progress report within 24 hours
    -- (bl.FOLLOW_UP; the seed gives no time).
    bl.followup { title = "续报稳控、接访劝返进展（003 二(六)）",
      owner = "petition-office", on_breach = "hs-chain" },
  },
  classify = destination_grade,
  grades = {
    [3] = { notify = { "unit.principal", "vice-commander" },              -- 到市
            obligations = {
              { id = "dispatch",
                title = "立即派员接访劝返（主要负责人及有关责任人、县卫健委责任领导）（003 二(五)）",
                due = bl.AT_ONCE, from = "graded", met_by = { type = "dispatch" },
                remind = { "20m" }, owner = "unit.principal", on_breach = "hs-chain" },
            } },
    [2] = { notify = { "unit.principal", "commander", "vice-commander" } },   -- 赴省
    [1] = { notify = { "unit.principal", "commander", "vice-commander",
                       "command-member" } },                               -- 进京
  },
  -- 战时状态 (a window the county declares: 两会, 国庆 …): the command roster
  -- hears of every petition.
  periods = { wartime = { notify = { "commander", "vice-commander" } } },
}
