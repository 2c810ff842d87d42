-- wrk mix for the scale-out run: 10% logins (no cookie: a login rotates the session id),
-- 20% writes with an idempotency key, 20% reads of the room, 50% reads of the session.
-- COOKIES is replaced by the list of session cookies the run logged in beforehand.
local cookies = {COOKIES}
local counter = 0
local n = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

function request()
  n = n + 1
  local r = n % 10
  local h = {["Content-Type"] = "application/json"}
  if r == 0 then
    return wrk.format("POST", "/login", h,
      string.format('{"name":"w%d-%d","password":"pw"}', tid, n % 50))
  end
  h["Cookie"] = "session=" .. cookies[(n * 7 + tid) % #cookies + 1]
  if r <= 2 then
    return wrk.format("POST", "/api/messages", h,
      string.format('{"text":"wrk %d-%d","key":"w%d-%d"}', tid, n, tid, n))
  elseif r <= 4 then
    return wrk.format("GET", "/api/messages?limit=20", h)
  end
  return wrk.format("GET", "/api/me", h)
end
