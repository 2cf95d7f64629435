import { DockerfileParser, From, Arg, Copy, Run } from 'dockerfile-ast';
const src = process.argv[2] ?? '\uFEFF# syntax=docker/dockerfile:1.7\r\n# escape=\\\r\nARG BASE="alpine:3.19"\r\nARG V\r\nFROM --platform=$BUILDPLATFORM ${BASE} AS Build\r\nARG X=foo\r\nCOPY --from=build /a /b\r\nRUN --mount=type=cache,from=busybox:1,target=/x \\\r\n  echo hi\r\nRUN <<EOF\r\nFROM nope\r\nEOF\r\nFROM nginx:${V:-1.25}\r\n';
const df = DockerfileParser.parse(src);
console.log('escape', JSON.stringify(df.getEscapeCharacter()));
for (const d of df.getDirectives()) console.log('dir', d.getName(), d.getValue(), JSON.stringify(d.getValueRange()));
for (const c of df.getComments()) console.log('comment', c.getContent(), JSON.stringify(c.getRange()));
for (const i of df.getInstructions()) {
  console.log('INSTR', i.getKeyword(), JSON.stringify(i.getRange()), JSON.stringify(i.getRawArgumentsContent()));
  if (i instanceof From) {
    console.log('  image', i.getImage(), JSON.stringify(i.getImageRange()), 'stage', i.getBuildStage(), 'flags', i.getFlags().map(f=>f.getName()+'='+f.getValue()));
    console.log('  args', i.getArguments().map(a => a.getValue()+JSON.stringify(a.getRange())));
  }
  if (i instanceof Arg) { const p = i.getProperty(); console.log('  prop', p?.getName(), JSON.stringify(p?.getValue()), JSON.stringify(p?.getValueRange()), JSON.stringify(p?.getUnescapedValue())); }
  if ('getFlags' in i) for (const f of (i as any).getFlags()) { console.log('  flag', f.getName(), JSON.stringify(f.getValue()), JSON.stringify(f.getValueRange())); for (const o of f.getOptions()) console.log('    opt', o.getName(), o.getValue(), JSON.stringify(o.getValueRange())); }
}
console.log('initialArgs', df.getInitialARGs().map(a=>a.getProperty()?.getName()));
