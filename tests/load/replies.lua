-- wrk script: signed-in members post replies through the API. $LOAD_TOKENS names a file
-- of bearer tokens, $LOAD_TOPIC_IDS one of topic ids (one per line); each request takes
-- the next member and the next topic, so no member or topic is hammered alone.
dofile("tests/load/report.lua")

local tokens = lines_of("LOAD_TOKENS")
local topics = lines_of("LOAD_TOPIC_IDS")

function request()
  counter = counter + 1
  local body = string.format(
    '{"body": "Same here on firmware %d: after the update the tray jams on the second page. Turning it off and on for a minute helps until the next job."}',
    counter)
  return wrk.format("POST", "/api/v1/topics/" .. topics[counter % #topics + 1] .. "/replies", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[counter % #tokens + 1],
  }, body)
end
