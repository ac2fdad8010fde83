import { ModulesContainer } from '@nestjs/core';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { IS_PUBLIC } from '../../src/common/auth/access.decorator';
import { TestApp, bootApp } from '../support/app';
import { httpClient } from '../support/http';

interface Route {
  method: string;
  path: string;
  isPublic: boolean;
}

/** Every route the app registered, read from Nest's metadata (controllers excluded from docs skipped). */
function registeredRoutes(t: TestApp): Route[] {
  const routes: Route[] = [];
  for (const mod of t.app.get(ModulesContainer).values()) {
    for (const wrapper of mod.controllers.values()) {
      const cls = wrapper.metatype as { prototype: Record<string, unknown> } | null;
      if (!cls || Reflect.getMetadata('swagger/apiExcludeController', cls)) continue;
      const base = ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, cls) ?? '')[0];
      for (const name of Object.getOwnPropertyNames(cls.prototype)) {
        const handler = cls.prototype[name];
        if (typeof handler !== 'function' || name === 'constructor') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        const sub = ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, handler) ?? '')[0];
        const raw = [base, sub].filter((s) => s && s !== '/').join('/');
        const prefixed = /^(health|metrics)/.test(raw) ? `/${raw}` : `/api/v1/billing/${raw}`;
        const isPublic = Boolean(Reflect.getMetadata(IS_PUBLIC, handler) ?? Reflect.getMetadata(IS_PUBLIC, cls));
        routes.push({ method: RequestMethod[method].toLowerCase(), path: prefixed.replace(/\/$/, '').replace(/:(\w+)/g, '{$1}'), isPublic });
      }
    }
  }
  return routes;
}

describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: any;

  beforeAll(async () => {
    t = await bootApp();
    doc = (await httpClient(t.baseUrl)('GET', '/api/docs-json')).body;
  });
  afterAll(() => t.close());

  it('is OpenAPI 3 with bearer auth', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('documents every registered route with a summary, a success response and its errors', () => {
    const routes = registeredRoutes(t);
    expect(routes.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const r of routes) {
      const op = doc.paths?.[r.path]?.[r.method];
      if (!op) {
        problems.push(`${r.method.toUpperCase()} ${r.path}: missing`);
        continue;
      }
      const codes = Object.keys(op.responses ?? {});
      if (!op.summary) problems.push(`${r.method} ${r.path}: no summary`);
      if (!codes.some((c) => /^2/.test(c))) problems.push(`${r.method} ${r.path}: no 2xx response`);
      for (const c of codes.filter((c) => /^2/.test(c) && c !== '204')) {
        const resp = op.responses[c];
        if (!resp.content && !resp.schema) problems.push(`${r.method} ${r.path}: ${c} has no schema`);
      }
      if (!r.isPublic) {
        if (!(op.security ?? []).some((s: object) => 'bearer' in s)) problems.push(`${r.method} ${r.path}: no bearer security`);
        for (const c of ['401', '403']) if (!codes.includes(c)) problems.push(`${r.method} ${r.path}: ${c} undocumented`);
      }
      const hasInput = (op.parameters ?? []).some((p: { in: string }) => p.in === 'query') || op.requestBody;
      if (hasInput && !codes.includes('400')) problems.push(`${r.method} ${r.path}: 400 undocumented`);
      if (/\{\w*[iI]d\}/.test(r.path) && !r.path.includes('{tenantId}') && !codes.includes('404')) {
        problems.push(`${r.method} ${r.path}: 404 undocumented`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('lists the plan routes with bearer security', () => {
    expect(doc.paths['/api/v1/billing/plans'].get.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/v1/billing/plans/{planId}'].get.security).toEqual([{ bearer: [] }]);
  });

  it('gives every schema property a type or a reference', () => {
    const untyped: string[] = [];
    for (const [name, schema] of Object.entries<any>(doc.components.schemas)) {
      for (const [prop, def] of Object.entries<any>(schema.properties ?? {})) {
        if (!def.type && !def.$ref && !def.allOf && !def.oneOf && !def.anyOf && !def.enum) untyped.push(`${name}.${prop}`);
      }
    }
    expect(untyped).toEqual([]);
  });
});
