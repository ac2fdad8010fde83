import { Body, Controller, Get, HttpCode, Injectable, Param, PipeTransform, Post, Query, UseGuards, UseInterceptors, createParamDecorator } from '@nestjs/common';
import { DirectRoute, assertDirectable, declaredParams } from './direct-routes';
import { hotRoutes } from '../../hot-routes';

class Dto {
  x!: string;
}

class Upper implements PipeTransform<string, string> {
  transform(v: string): string {
    return v.toUpperCase();
  }
}

@Injectable()
class NeedsInjection implements PipeTransform {
  constructor(readonly dep: Dto) {}
  transform(v: unknown): unknown {
    return v;
  }
}

const Custom = createParamDecorator(() => 'x');

@Controller('x')
class Probe {
  @Post(':id')
  plain(@Param('id') _id: string, @Body() _body: unknown): void {}

  @Post('guarded')
  @UseGuards(class {})
  guarded(@Body() _body: unknown): void {}

  @Get('intercepted')
  @UseInterceptors(class {})
  intercepted(@Query() _q: unknown): void {}

  @Post('code')
  @HttpCode(200)
  code(@Body() _body: unknown): void {}

  @Post('dto')
  dto(@Body() _body: Dto): void {}

  @Post('piped/:id')
  piped(@Param('id', Upper) _id: string): void {}

  @Post('injected/:id')
  injected(@Param('id', NeedsInjection) _id: string): void {}

  @Post('custom')
  custom(@Custom() _x: string): void {}
}

const route = (handler: keyof Probe & string, params: string[]): DirectRoute<Probe> => ({
  method: 'POST',
  url: '/x',
  controller: Probe,
  handler,
  params,
});

describe('direct routes', () => {
  it('reads the parameter decorators of a method in order', () => {
    expect(declaredParams(Probe, 'plain')).toEqual(['param:id', 'body']);
  });

  it('accepts a method Nest would run with nothing beyond the global guards and filter', () => {
    expect(() => assertDirectable(route('plain', ['param:id', 'body']))).not.toThrow();
  });

  it('refuses methods with their own guards, interceptors, @HttpCode or a DTO parameter, and a params list that drifted', () => {
    expect(() => assertDirectable(route('guarded', ['body']))).toThrow(/__guards__/);
    expect(() => assertDirectable(route('intercepted', ['query']))).toThrow(/__interceptors__/);
    expect(() => assertDirectable(route('code', ['body']))).toThrow(/HttpCode/);
    expect(() => assertDirectable(route('dto', ['body']))).toThrow(/DTO class/);
    expect(() => assertDirectable(route('plain', ['body']))).toThrow(/takes \(param:id, body\)/);
  });

  it('takes the pipes a parameter decorator names, and refuses pipes that need injection and custom decorators', () => {
    expect(() => assertDirectable(route('piped', ['param:id']))).not.toThrow();
    expect(() => assertDirectable(route('injected', ['param:id']))).toThrow(/needs injection/);
    expect(() => assertDirectable(route('custom', [declaredParams(Probe, 'custom')[0]]))).toThrow(/custom decorator/);
  });

  it('keeps the hot routes directable (their decorators still match what the direct handler does)', () => {
    for (const r of hotRoutes('api')) expect(() => assertDirectable(r)).not.toThrow();
  });
});
