import { IntrospectionClientsService } from '../oauth/introspection-clients.service.js';
import type { Command } from './command.js';

export const clientCommands: Command[] = [
  {
    name: 'clients:add',
    usage: '<id>',
    summary: 'Register an introspection client; prints its secret once (only a hash is kept). Every instance accepts it at once',
    audits: 'introspection_client_added',
    needs: 'services',
    args: { operands: ['id'] },
    async run({ app, args, operator, print }) {
      const [id] = args.operands;
      const secret = await app.get(IntrospectionClientsService).add(id, operator);
      print(`added introspection client ${id}; its secret, shown this once: ${secret}`);
    },
  },
  {
    name: 'clients:remove',
    usage: '<id>',
    summary: 'Remove a client added here (those of INTROSPECTION_CLIENTS are changed there); refused by every instance at once',
    audits: 'introspection_client_removed',
    needs: 'services',
    args: { operands: ['id'] },
    async run({ app, args, operator, print }) {
      const [id] = args.operands;
      await app.get(IntrospectionClientsService).remove(id, operator);
      print(`removed introspection client ${id}`);
    },
  },
  {
    name: 'clients:list',
    usage: '',
    summary: 'List the introspection clients: from INTROSPECTION_CLIENTS (config) and added here (database)',
    needs: 'services',
    args: { operands: [] },
    async run({ app, print }) {
      const clients = await app.get(IntrospectionClientsService).list();
      if (clients.length === 0) print('no introspection clients');
      for (const client of clients)
        print(`${client.id}  ${client.source}${client.createdAt ? `  added ${client.createdAt.toISOString()}` : ''}`);
    },
  },
];
