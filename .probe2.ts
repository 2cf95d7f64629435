import { DockerfileParser, Arg, Onbuild, Copy } from 'dockerfile-ast';
const src = process.argv[2];
const df = DockerfileParser.parse(src);
for (const i of df.getInstructions()) {
  if (i instanceof Arg) for (const p of i.getProperties()) console.log('prop', p.getName(), JSON.stringify(p.getValue()), JSON.stringify(p.getValueRange()), JSON.stringify(p.getUnescapedValue()));
  if (i instanceof Onbuild) { const t = i.getTriggerInstruction(); console.log('trigger', t?.constructor.name, t instanceof Copy ? t.getFromFlag()?.getValue() : ''); }
  if (i instanceof Copy) console.log('from', JSON.stringify(i.getFromFlag()?.getValue()), JSON.stringify(i.getFromFlag()?.getValueRange()));
}
