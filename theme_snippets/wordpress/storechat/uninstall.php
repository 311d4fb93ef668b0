<?php
/**
 * Uninstall: tell StoreChat (topic site/uninstalled: the shop stops being
 * served and its data is purged after a grace period unless the site connects
 * again), then remove every option StoreChat stored. WordPress runs this file
 * when the plugin is deleted from the Plugins screen.
 *
 * @package StoreChat
 */

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

require_once __DIR__ . '/includes/class-storechat-options.php';
require_once __DIR__ . '/includes/class-storechat-connect.php';
require_once __DIR__ . '/includes/class-storechat-notify.php';

// Once, now: the keys that would sign a retry are deleted below.
StoreChat_Notify::send_now( array( 'topic' => 'site/uninstalled' ) );

foreach ( StoreChat_Options::all_options() as $storechat_option ) {
	delete_option( $storechat_option );
	delete_site_option( $storechat_option );
}
wp_clear_scheduled_hook( 'storechat_retry_notifications' );
