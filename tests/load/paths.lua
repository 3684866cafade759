-- wrk script: GET the paths listed (one per line) in the file named by $LOAD_PATHS, in turn.
dofile("tests/load/report.lua")

local paths = lines_of("LOAD_PATHS")

function request()
  counter = counter + 1
  return wrk.format("GET", paths[counter % #paths + 1])
end
