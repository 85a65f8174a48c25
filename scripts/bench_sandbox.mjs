// The sandbox's core in Node: updates per second of `train` for the settings given as JSON
// on the command line ([{data, settings}]), each the median of a few timed runs. Prints JSON.
import { readFileSync } from "node:fs";
import { train } from "../docs/javascripts/sandbox/lesson.js";

const [exportedPath, casesJson, repeats] = process.argv.slice(2);
const exported = JSON.parse(readFileSync(exportedPath, "utf8"));
const out = [];
for (const { data, settings } of JSON.parse(casesJson)) {
  const times = [];
  train(exported.data[data], settings, exported.lesson); // warm the JIT
  for (let k = 0; k < Number(repeats); k++) {
    const start = process.hrtime.bigint();
    train(exported.data[data], settings, exported.lesson);
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  times.sort((a, b) => a - b);
  out.push(settings.steps / times[Math.floor(times.length / 2)]);
}
console.log(JSON.stringify(out));
