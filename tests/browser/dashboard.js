#!/usr/bin/env node
// dashboard.js - import a dashboard into a running Chronograf through its
// web UI, as the README tells a user to, and report what it renders.
//
//   node dashboard.js --url http://127.0.0.1:PORT --source 1 --file PATH
//                     --out DIR [--chromium /usr/bin/chromium] [--no-import --id N]
//
// Drives Debian's chromium (headless, never a downloaded browser) with
// puppeteer-core: Dashboards page, "Import Dashboard", the file, "Continue",
// the "Reconcile Sources" step, "Done"; then opens the dashboard from the
// list, waits until every cell has drawn its data (or its message), and
// prints one JSON object on stdout:
//
//   {"reconcile": text of the Reconcile Sources step, "id": dashboard id,
//    "viewport": {...}, "variables": [text of the template control bar],
//    "cells": [{"name", "top", "bottom", "left", "right", "kind",
//               "message": "No Results" or an error or a note, or null,
//               "table": {"cells": [{"row", "col", "text", "top", "bottom",
//                                    "left", "right", "visible"}]},
//               "axis": {"label", "ticks": [{"text", "y"}], "plot": {...}},
//               "stat": text, "lineAt": {value: rows of the plot where a
//                 horizontal line of the given colour was found}}]}
//
// and saves screenshots in DIR: first-screen.png (what a 1440x900 window
// shows first) and dashboard.png (the whole dashboard). Assertions are the
// caller's (tests/integration/test_dashboard.py). Exit status 1 on any
// failure to drive the UI, with the reason on stderr.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const puppeteer = require('puppeteer-core');

const WIDTH = 1440;
const FIRST_SCREEN = 900;       // a laptop's window: what is seen without scrolling
const TALL = 2400;              // every cell in view at once (Chronograf queries only those)

function args(argv) {
  const a = {chromium: '/usr/bin/chromium', source: '1', import: true};
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--no-import') a.import = false;
    else a[k.replace(/^--/, '')] = argv[++i];
  }
  for (const k of ['url', 'file', 'out']) {
    if (!a[k]) throw new Error('missing --' + k);
  }
  return a;
}

const sleep = ms => new Promise(r => setTimeout(r, ms));

async function clickByText(page, selector, text, timeout = 20000) {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    const done = await page.evaluate((sel, t) => {
      for (const e of document.querySelectorAll(sel)) {
        if (e.innerText.trim() === t && e.offsetParent !== null) {
          e.click();
          return true;
        }
      }
      return false;
    }, selector, text);
    if (done) return;
    await sleep(100);
  }
  throw new Error(`no ${selector} "${text}" to click`);
}

async function waitForText(page, selector, text, timeout = 20000) {
  await page.waitForFunction((sel, t) =>
    [...document.querySelectorAll(sel)].some(e => e.innerText.includes(t)),
  {timeout}, selector, text);
}

async function importDashboard(page, a) {
  await page.goto(`${a.url}/sources/${a.source}/dashboards`, {waitUntil: 'networkidle0'});
  await clickByText(page, 'button', 'Import Dashboard');
  await page.waitForSelector('input.drag-and-drop--input');
  const input = await page.$('input.drag-and-drop--input');
  await input.uploadFile(a.file);
  await waitForText(page, '.drag-and-drop', path.basename(a.file));
  await clickByText(page, 'button', 'Continue');
  await waitForText(page, '.overlay--heading, .overlay--container', 'Reconcile Sources');
  const reconcile = await page.evaluate(() => {
    const o = document.querySelector('.overlay--container') || document.body;
    return o.innerText;
  });
  await page.screenshot({path: path.join(a.out, 'reconcile-sources.png')});
  await clickByText(page, 'button', 'Done');
  await waitForText(page, 'body', 'Dashboard imported successfully');
  return reconcile;
}

async function openDashboard(page, a, name) {
  // From the list, as a user does: the newest dashboard of that name.
  await page.goto(`${a.url}/sources/${a.source}/dashboards`, {waitUntil: 'networkidle0'});
  const href = await page.evaluate(n => {
    const links = [...document.querySelectorAll('a')].filter(l => l.innerText.trim() === n);
    return links.length ? links[links.length - 1].getAttribute('href') : null;
  }, name);
  if (!href) throw new Error(`dashboard "${name}" is not in the list`);
  await page.goto(a.url + href, {waitUntil: 'networkidle0'});
  return href.replace(/.*\/dashboards\/(\d+).*/, '$1');
}

// Every cell shows data or a message, no spinner, twice in a row.
async function waitRendered(page, timeout = 60000) {
  const end = Date.now() + timeout;
  let stable = 0;
  while (Date.now() < end) {
    const ready = await page.evaluate(() => {
      const cells = [...document.querySelectorAll('.react-grid-item')];
      return cells.length > 0 && cells.every(c => !c.querySelector('.graph-spinner') && (
        c.querySelector('.table-graph-cell') || c.querySelector('.dygraph-axis-label-x') ||
        c.querySelector('.single-stat--text') || c.querySelector('.graph-empty') ||
        c.querySelector('.markdown-cell')));
    });
    stable = ready ? stable + 1 : 0;
    if (stable >= 3) return;
    await sleep(500);
  }
  const pending = await page.evaluate(() =>
    [...document.querySelectorAll('.react-grid-item')].map(c => c.innerText.replace(/\s+/g, ' ').slice(0, 120)));
  throw new Error('the dashboard did not finish rendering in time; cells: ' + JSON.stringify(pending));
}

// What each cell shows, read from the DOM (and, for graphs, the canvas).
function readCells(lines) {
  const rect = e => {
    const r = e.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right};
  };
  const hex = h => [1, 3, 5].map(i => parseInt(h.slice(i, i + 2), 16));
  return [...document.querySelectorAll('.react-grid-item')].map(c => {
    const out = {name: (c.querySelector('.dash-graph--name') || {}).innerText || '', ...rect(c)};
    const empty = c.querySelector('.graph-empty');
    const note = c.querySelector('.markdown-cell');
    out.message = empty ? empty.innerText.trim() : note ? 'note: ' + note.innerText.trim() : null;
    const grid = c.querySelector('.table-graph-container');
    if (grid && c.querySelector('.table-graph-cell')) {
      out.kind = 'table';
      const box = grid.getBoundingClientRect();
      out.table = {box: rect(grid), cells: [...c.querySelectorAll('.table-graph-cell')].map(e => {
        const r = rect(e);
        return {row: +e.dataset.rowIndex, col: +e.dataset.columnIndex,
          text: e.innerText.trim(), ...r,
          visible: r.left >= box.left - 1 && r.right <= box.right + 1 &&
                   r.top >= box.top - 1 && r.bottom <= box.bottom + 1};
      })};
    }
    const stat = c.querySelector('.single-stat--text');
    if (stat) {
      out.kind = 'single-stat';
      out.stat = stat.textContent.trim();
    }
    const ticks = [...c.querySelectorAll('.dygraph-axis-label-y')];
    if (c.querySelector('.dygraph-axis-label-x')) {
      out.kind = 'graph';
      const ylabel = c.querySelector('.dygraph-ylabel');
      out.axis = {label: ylabel ? ylabel.innerText.trim() : '',
        ticks: ticks.map(t => ({text: t.innerText.trim(),
          y: (t.getBoundingClientRect().top + t.getBoundingClientRect().bottom) / 2}))};
      // The plot: for each wanted colour, the rows (page coordinates)
      // where an opaque horizontal run of it is drawn, on any canvas.
      const canvases = [...c.querySelectorAll('canvas')].filter(k => k.width > 0 && k.height > 0);
      if (canvases.length) {
        const r0 = canvases[0].getBoundingClientRect();
        out.axis.plot = {top: r0.top, bottom: r0.bottom};
      }
      out.lineAt = {};
      for (const colour of lines || []) {
        const want = hex(colour);
        const rows = new Set();
        for (const cv of canvases) {
          const r = cv.getBoundingClientRect();
          const data = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
          for (let y = 0; y < cv.height; y++) {
            let run = 0;
            for (let x = 0; x < cv.width && run < 20; x++) {
              const i = (y * cv.width + x) * 4;
              // Dygraph strokes over its own fill: near the colour, not on it.
              const hit = data[i + 3] > 100 && Math.abs(data[i] - want[0]) < 48 &&
                Math.abs(data[i + 1] - want[1]) < 48 && Math.abs(data[i + 2] - want[2]) < 48;
              run = hit ? run + 1 : 0;
            }
            if (run >= 20) rows.add(Math.round(r.top + (y + 0.5) * r.height / cv.height));
          }
        }
        out.lineAt[colour] = [...rows].sort((x, y) => x - y);
      }
    }
    if (!out.kind) out.kind = out.message !== null ? 'message' : 'unknown';
    return out;
  });
}

async function main() {
  const a = args(process.argv.slice(2));
  fs.mkdirSync(a.out, {recursive: true});
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'pfqmon-chromium.'));
  const dash = JSON.parse(fs.readFileSync(a.file, 'utf8'));
  const lines = (a.lines || '').split(',').filter(Boolean);
  let browser;
  try {
    browser = await puppeteer.launch({
      executablePath: a.chromium,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--user-data-dir=' + profile],
      defaultViewport: {width: WIDTH, height: TALL},
    });
    const page = await browser.newPage();
    const result = {viewport: {width: WIDTH, firstScreen: FIRST_SCREEN}};
    if (a.import) result.reconcile = await importDashboard(page, a);
    result.id = await openDashboard(page, a, dash.dashboard.name);
    await waitRendered(page);
    result.variables = await page.evaluate(() =>
      [...document.querySelectorAll('.template-control--dropdown, .template-control--controls ' +
        '.template-control--text, .template-control--manage, .template-control-bar input')]
        .map(e => (e.value !== undefined && e.tagName === 'INPUT') ? e.value : e.innerText.trim()));
    result.cells = await page.evaluate(readCells, lines);
    await page.screenshot({path: path.join(a.out, 'dashboard.png'), fullPage: false,
      clip: {x: 0, y: 0, width: WIDTH,
        height: Math.min(TALL, Math.max(...result.cells.map(c => c.bottom)) + 20)}});
    await page.setViewport({width: WIDTH, height: FIRST_SCREEN});
    await page.waitForFunction(h => window.innerHeight === h, {}, FIRST_SCREEN);
    await waitRendered(page);
    await page.screenshot({path: path.join(a.out, 'first-screen.png')});
    process.stdout.write(JSON.stringify(result) + '\n');
  } catch (e) {
    if (browser) {
      const pages = await browser.pages();
      if (pages.length) await pages[pages.length - 1].screenshot({path: path.join(a.out, 'failed.png')}).catch(() => {});
    }
    throw e;
  } finally {
    if (browser) await browser.close();
    fs.rmSync(profile, {recursive: true, force: true});
  }
}

main().catch(e => {
  process.stderr.write(String(e && e.stack || e) + '\n');
  process.exit(1);
});
