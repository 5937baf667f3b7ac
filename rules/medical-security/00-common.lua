-- 医疗保障局应急预案 (medical-security bureau): shared figures and policies.
--
-- Sources: seed 000 六安市医疗保障局应急管理预案 (cited "000 三(一)" for
-- part 三, section (一)), and seed 001 沈阳市医疗保障局应急突发事件处置预案
-- (cited "001 三(二)").  Both bureaus run the same chain: the deputy in
-- charge and the emergency office first, the principal leader when needed,
-- the city emergency management bureau for what the bureau cannot handle.
--
-- This pack builds on the national baseline; the site lists it first:
--   rules = { "../holidays", "../baseline", "." }
-- Roles it speaks in: duty, office, deputy, principal, leadership,
-- superior, responsible, cooperating (配合部门), police (公安机关),
-- netinfo (市委网信办), opinion-watch (舆情24小时值班专人).

assert(type(bl) == "table", "medical-security builds on the national " ..
  "baseline: list \"../baseline\" before this pack in the site's rules")

ms = {}

-- 000 三(一) "局应急办要及时赶赴事故发生现场处理，核实、了解、收集和按程序
-- 要求报告有关信息"; 001 三(一) the same for petitions.  The seeds give no
-- time: bl.PROMPT (2 hours, the national per-hop figure).  Site setting
-- ms_verify_due.
ms.VERIFY_DUE = bl.setting("ms_verify_due", bl.PROMPT)

-- 000 三(三) 经验总结: "局应急办应会同各科室、市医保中心认真剖析引发事件的原因
-- 和责任…总结经验教训，并形成专题报告"; 001 三(二) "事后…对处置工作进行总结".
-- No time in the seeds: bl.REVIEW_DUE (30 days, 国家网络安全事件应急预案).
-- Site setting ms_review_due.  That plan counts the 30 days from the end of
-- the response (应急响应结束后), so the review is owed from the `end` event
-- that declares it (from = bl.ENDED), not from the opening.  Declare the
-- end, file the report (type "review"), then resolve: resolving first
-- cancels it.
function ms.review()
  return bl.final { id = "review", type = "review", from = bl.ENDED,
    title = "经验总结：剖析原因和责任，提出整改措施，形成专题报告（000 三(三)）",
    due = bl.setting("ms_review_due", bl.REVIEW_DUE),
    owner = "office", on_breach = "ms-days" }
end

-- 000 三(一): 第一时间报告局分管负责人和局应急办，必要时直接报告局主要负责人…
-- 对无法处置的重大突发事件，局应急办应即时上报市应急管理局.  A deadline the
-- bureau misses climbs this chain, with the 24-hour duty officer (000 三(二)1
-- 实行24小时值班制度) chasing it.  The seeds give no intervals: 30 minutes to
-- the principal and 2 hours to the city are this pack's choice.
-- The chain climbs the site's units (SPEC §5a): a report comes from a
-- department, branch or centre of the bureau, so the bureau is its parent
-- ("parent.office" 局应急办, "parent.principal" 局主要负责人) and 市应急管理局,
-- the bureau's parent, the unit above that ("parent.parent.office").  The
-- deputy in charge is the bureau's by category, and the duty officer its
-- own: plain roles.
policy "ms-chain" {
  { notify = { "parent.office", "deputy", "duty" } },
  { after = "30m", notify = { "parent.principal" } },
  { after = "2h", notify = { "parent.parent.office" } },
}

-- A missed report counted in days (the review): the office, the deputy in
-- charge the next day, the principal after three days.
policy "ms-days" {
  { notify = { "office" } },
  { after = "1d", notify = { "deputy" } },
  { after = "3d", notify = { "principal" } },
}
